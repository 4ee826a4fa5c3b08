import Foundation

/// The counter screen, as the Android `CounterPresenter`: the core's view model every frame, the
/// QR signed again when the core's countdown wraps.
@MainActor
final class CounterModel: ObservableObject {
    @Published private(set) var view: CounterView?
    @Published private(set) var qr: Presentation?
    @Published private(set) var qrProblem: String?
    @Published var photoEnlarged = false
    private var lastSecondsLeft = UInt32.max
    let env: AppEnvironment
    var reducedMotion = false
    var textScale = 1.0

    init(env: AppEnvironment) { self.env = env }

    func tick() {
        let options = CounterOptions(lang: env.lang, reducedMotion: reducedMotion,
                                     textScale: textScale, photoEnlarged: photoEnlarged)
        guard let v = try? env.wallet.counterScreen(options: options) else {
            view = nil
            return
        }
        let rotated = v.qrSecondsLeft > lastSecondsLeft
        lastSecondsLeft = v.qrSecondsLeft
        if qr == nil || rotated || qr?.handbookId != v.handbookId {
            do {
                qr = try env.wallet.present(handbookId: v.handbookId)
                qrProblem = nil
            } catch {
                qr = nil
                qrProblem = error.localizedDescription
            }
        }
        view = v
    }

    func switchTo(_ id: String) {
        try? env.wallet.selectForCounter(handbookId: id)
        qr = nil
        tick()
    }
}
