import Foundation

/// The counter screen: draws the core's `CounterSession` frame by frame. Every session call runs
/// on one serial queue (signing may wait for the Secure Enclave and Face ID), never on the main
/// thread; when to sign, and what stands in the code's place, is the core's.
@MainActor
final class CounterModel: ObservableObject {
    @Published private(set) var frame: CounterFrame?
    @Published private(set) var problem: String?
    let env: AppEnvironment
    private let session: CounterSession
    private let queue = DispatchQueue(label: "jp.techo.counter")
    private var next: DispatchWorkItem?
    private var running = false

    init(env: AppEnvironment, options: CounterOptions, coupon: (String, String)? = nil) {
        self.env = env
        session = CounterSession(wallet: env.wallet, options: options)
        // A coupon chosen in the list rides in the code; the core checks it and draws its band.
        session.setCoupon(operator: coupon?.0, couponId: coupon?.1)
    }

    func start() {
        running = true
        requestFrame()
    }

    func stop() {
        running = false
        next?.cancel()
    }

    private func requestFrame() {
        next?.cancel()
        guard running else { return }
        let session = self.session
        queue.async {
            let result = Result { try session.frame() }
            DispatchQueue.main.async { self.draw(result) }
        }
    }

    private func draw(_ result: Result<CounterFrame?, Error>) {
        switch result {
        case let .success(frame):
            self.frame = frame
            problem = nil
            guard let frame else { return }
            schedule(afterMs: Int(frame.nextFrameMs))
        case let .failure(error):
            problem = error.localizedDescription
            schedule(afterMs: 5_000)
        }
    }

    private func schedule(afterMs ms: Int) {
        let item = DispatchWorkItem { [weak self] in self?.requestFrame() }
        next = item
        DispatchQueue.main.asyncAfter(deadline: .now() + .milliseconds(ms), execute: item)
    }

    /// The holder passed the app lock (the frame asked for it with `.unlockNeeded`).
    func unlocked() { run { $0.unlocked() } }
    /// The holder tapped "show the code" after a cancelled prompt or a failure.
    func retry() { run { $0.retry() } }
    func togglePhoto() { run { $0.togglePhoto() } }
    func switchTo(_ id: HandbookId) { run { try? $0.switchTo(handbookId: id) } }
    func setOptions(_ options: CounterOptions) { run { $0.setOptions(options: options) } }

    private func run(_ change: @escaping (CounterSession) -> Void) {
        let session = self.session
        queue.async { change(session) }
        requestFrame()
    }
}
