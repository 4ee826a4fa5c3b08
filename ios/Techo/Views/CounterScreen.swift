import SwiftUI
import UIKit

/// The counter screen, drawn from the core's `CounterSession` frames (the frame says when to ask
/// again). Full brightness while shown; screenshots are flagged (iOS cannot block them, see
/// docs/ios.md) and the code on any screenshot is stale within a minute. The core already
/// scaled the sizes to the holder's text size: they are used as points, never scaled again.
struct CounterScreen: View {
    @StateObject private var model: CounterModel
    @EnvironmentObject private var env: AppEnvironment
    @Environment(\.dismiss) private var dismiss
    @State private var savedBrightness: CGFloat = UIScreen.main.brightness

    /// `coupon`: (operator, coupon id) to carry in the code, from the coupon list.
    init(env: AppEnvironment, coupon: (String, String)? = nil) {
        let scale: Double = {
            switch UIApplication.shared.preferredContentSizeCategory {
            case .accessibilityExtraExtraExtraLarge, .accessibilityExtraExtraLarge: return 2.0
            case .accessibilityExtraLarge, .accessibilityLarge, .accessibilityMedium: return 1.6
            case .extraExtraExtraLarge, .extraExtraLarge, .extraLarge: return 1.25
            default: return 1.0
            }
        }()
        let options = CounterOptions(lang: env.lang, reducedMotion: UIAccessibility.isReduceMotionEnabled,
                                     textScale: scale, photoEnlarged: false)
        _model = StateObject(wrappedValue: CounterModel(env: env, options: options, coupon: coupon))
    }

    var body: some View {
        content
            // A full-screen cover has no system back: this button, and VoiceOver's escape
            // gesture, always close it.
            .overlay(alignment: .topTrailing) {
                Button(env.pick("閉じる", "Close")) { dismiss() }
                    .buttonStyle(.borderedProminent)
                    .padding()
                    .accessibilityLabel(env.pick("確認画面を閉じる", "Close the counter screen"))
            }
            .accessibilityAction(.escape) { dismiss() }
            .onAppear {
                savedBrightness = UIScreen.main.brightness
                UIScreen.main.brightness = 1.0
                UIApplication.shared.isIdleTimerDisabled = true
                model.start()
            }
            .onDisappear {
                model.stop()
                UIScreen.main.brightness = savedBrightness
                UIApplication.shared.isIdleTimerDisabled = false
            }
            .onChange(of: model.frame?.status) { _, status in
                if status == .unlockNeeded { unlock() }
            }
    }

    /// The Secure Enclave keys need the holder again: the app lock, once; a cancel waits for a tap.
    private func unlock() {
        env.unlock(reason: env.pick("手帳を表示します", "to show the handbook")) { ok in
            if ok { model.unlocked() }
        }
    }

    @ViewBuilder private var content: some View {
        if let f = model.frame {
            let v = f.view
            ZStack {
                Color(hex: v.background).ignoresSafeArea()
                RoundedRectangle(cornerRadius: 24)
                    .stroke(Color(hex: v.accent).opacity(0.4 + 0.6 * v.glowPhase), lineWidth: 12)
                    .ignoresSafeArea()
                ScrollView {
                    VStack(alignment: .leading, spacing: 8) {
                        if let banner = v.updateBanner { Text(banner).padding(8).background(Color.yellow.opacity(0.3)) }
                        if let coupon = v.coupon { Text(coupon).bold().padding(8).background(Color.blue.opacity(0.12)) }
                        if let band = v.guardianBand {
                            Text(band).bold().padding(8).frame(maxWidth: .infinity, alignment: .leading)
                                .background(Color(red: 0.36, green: 0.17, blue: 0.51)).foregroundColor(.white)
                        }
                        // Staff check order: kind, fare class, linkage first (and for VoiceOver).
                        ForEach(Array(v.items.enumerated()).filter { $0.element.key != "photo" }, id: \.offset) { i, item in
                            Text(i == 0 ? item.value : "\(item.label)  \(item.value)")
                                .font(.system(size: i == 0 ? v.kindPt : v.itemPt, weight: i == 0 ? .bold : .regular))
                                .foregroundColor(item.emphasis == .alert ? .red : item.emphasis == .caution ? .orange : Color(hex: v.textColour))
                                .accessibilityLabel(item.spoken)
                        }
                        Text(v.clock).font(.system(size: v.clockPt, weight: .semibold).monospacedDigit())
                        if let code = f.code, f.status == .shown {
                            QrCanvas(width: Int(code.qrWidth), modules: code.qrModules)
                                .aspectRatio(1, contentMode: .fit)
                                .accessibilityLabel(env.pick("確認用のコード", "Code for staff to check"))
                        } else if let message = f.message ?? model.problem {
                            Text(message).font(.title3)
                            if f.status == .cancelled || f.status == .failed {
                                Button(env.pick("タップしてコードを表示", "Tap to show the code")) { model.retry() }
                                    .buttonStyle(.borderedProminent)
                            }
                        }
                        if let s = v.support {
                            VStack(alignment: .leading) {
                                Text(s.heading).bold()
                                ForEach(s.lines, id: \.code) { Text($0.text) }
                            }
                            .padding(8)
                            .background(Color(hex: s.background))
                            .accessibilityLabel(s.spoken)
                        }
                        ForEach(v.switchTo, id: \.handbookId) { t in
                            Button(env.pick("切り替え：", "Switch to: ") + t.label) { model.switchTo(t.handbookId) }
                        }
                    }
                    .padding(24)
                }
            }
            .onTapGesture { model.togglePhoto() }
        } else {
            Button("OK") { dismiss() }
        }
    }
}

/// QR modules from the core, drawn with a 4-module quiet zone.
struct QrCanvas: View {
    let width: Int
    let modules: [Bool]

    var body: some View {
        Canvas { context, size in
            // Whole points per module: fractional ones leave hairlines a scanner reads as light.
            let n = CGFloat(width + 8)
            let cell = max(1, (min(size.width, size.height) / n).rounded(.down))
            context.fill(Path(CGRect(origin: .zero, size: size)), with: .color(.white))
            for row in 0..<width {
                for col in 0..<width where modules[row * width + col] {
                    let rect = CGRect(x: CGFloat(col + 4) * cell, y: CGFloat(row + 4) * cell, width: cell, height: cell)
                    context.fill(Path(rect), with: .color(.black))
                }
            }
        }
    }
}

extension Color {
    /// `#rrggbb` from the core's palette.
    init(hex: String) {
        let v = UInt32(hex.trimmingCharacters(in: CharacterSet(charactersIn: "#")), radix: 16) ?? 0
        self.init(red: Double((v >> 16) & 0xFF) / 255, green: Double((v >> 8) & 0xFF) / 255, blue: Double(v & 0xFF) / 255)
    }
}
