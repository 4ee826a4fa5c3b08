import Combine
import SwiftUI
import UIKit

/// The counter screen drawn from the core's view model, ten times a second. Full brightness while
/// shown; the QR is re-signed every 30-second step; screenshots are flagged (iOS cannot block
/// them, see docs/ios.md) and the code on any screenshot is stale within a minute.
struct CounterScreen: View {
    @StateObject var model: CounterModel
    @Environment(\.dismiss) private var dismiss
    @Environment(\.accessibilityReduceMotion) private var reduceMotion
    @Environment(\.dynamicTypeSize) private var typeSize
    @State private var savedBrightness: CGFloat = UIScreen.main.brightness
    private let ticker = Timer.publish(every: 0.1, on: .main, in: .common).autoconnect()

    var body: some View {
        content
        .onReceive(ticker) { _ in model.tick() }
        .onAppear {
            model.reducedMotion = reduceMotion
            model.textScale = typeSize >= .accessibility1 ? 1.6 : (typeSize > .large ? 1.25 : 1.0)
            savedBrightness = UIScreen.main.brightness
            UIScreen.main.brightness = 1.0
            UIApplication.shared.isIdleTimerDisabled = true
            model.tick()
        }
        .onDisappear {
            UIScreen.main.brightness = savedBrightness
            UIApplication.shared.isIdleTimerDisabled = false
        }
        .onTapGesture { model.photoEnlarged.toggle() }
    }

    @ViewBuilder private var content: some View {
        if let v = model.view {
            ZStack {
                Color(hex: v.background).ignoresSafeArea()
                RoundedRectangle(cornerRadius: 24)
                    .stroke(Color(hex: v.accent).opacity(0.4 + 0.6 * v.glowPhase), lineWidth: 12)
                    .ignoresSafeArea()
                VStack(alignment: .leading, spacing: 8) {
                    Text(v.clock).font(.system(size: v.clockPt, weight: .semibold).monospacedDigit())
                    ForEach(Array(v.items.enumerated()), id: \.offset) { i, item in
                        Text("\(item.label)  \(item.value)")
                            .font(.system(size: i == 0 ? v.kindPt : v.itemPt, weight: i == 0 ? .bold : .regular))
                            .foregroundColor(item.emphasis == .alert ? .red : item.emphasis == .caution ? .orange : Color(hex: v.textColour))
                            .accessibilityLabel(item.spoken)
                    }
                    if let band = v.guardianBand {
                        Text(band).bold().padding(8).frame(maxWidth: .infinity, alignment: .leading)
                            .background(Color(red: 0.36, green: 0.17, blue: 0.51)).foregroundColor(.white)
                    }
                    if let s = v.support {
                        VStack(alignment: .leading) {
                            Text("\(s.heading)（\(s.tag)）").bold()
                            ForEach(s.lines, id: \.code) { Text($0.text) }
                        }
                        .padding(8)
                        .background(Color(hex: s.background))
                        .accessibilityLabel(s.spoken)
                    }
                    Spacer()
                    if let qr = model.qr {
                        QrCanvas(width: Int(qr.qrWidth), modules: qr.qrModules)
                            .aspectRatio(1, contentMode: .fit)
                            .accessibilityLabel("QR code")
                    } else if let problem = model.qrProblem {
                        Text(problem).foregroundColor(.red)
                    }
                    ForEach(v.switchTo, id: \.handbookId) { t in
                        Button(t.label) { model.switchTo(t.handbookId) }
                    }
                }
                .padding(24)
            }
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
            let n = CGFloat(width + 8)
            let cell = min(size.width, size.height) / n
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
