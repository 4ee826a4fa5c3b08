import AVFoundation
import CoreImage
import SwiftUI

/// Staff mode: the operator (from the signed directory, remembered) and the trip questions its
/// rules depend on, then the camera; the verdict in large type first, then the facts, then the
/// self-declared block.
struct StaffView: View {
    @EnvironmentObject private var env: AppEnvironment
    @StateObject var model: StaffModel
    @State private var scanning = true
    @State private var choosing = false
    @State private var token = ""

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 12) {
                operatorSection
                if scanning {
                    QrScannerView { payload in
                        scanning = false
                        model.scanned(payload)
                    }
                    .frame(height: 320)
                }
                ForEach(Array(model.lines.enumerated()), id: \.offset) { i, line in
                    Text(line).font(i == 0 ? .largeTitle.bold() : (i < 3 ? .title2.bold() : .title3))
                }
                ForEach(model.details, id: \.self) { Text($0).font(.body) }
                ForEach(Array(model.declared.enumerated()), id: \.offset) { i, line in
                    Text(line).font(i == 0 ? .body.bold() : .body)
                }
                if model.canRedeem {
                    Button(env.pick("クーポンを使用済みにする", "Redeem the coupon")) { Task { await model.redeem() } }
                        .buttonStyle(.bordered)
                }
                if let redeemed = model.redeemed { Text(redeemed).font(.title3.bold()) }
                if !scanning {
                    Button(env.pick("次を読み取る", "Scan the next code")) { model.next(); scanning = true }
                        .buttonStyle(.borderedProminent)
                }
            }
            .padding()
        }
        .background(background)
        .task { await model.prepare() }
        .sheet(isPresented: $choosing) { operatorList }
    }

    private var background: Color {
        switch model.tone {
        case .none: return .clear
        case .accepted: return Color.green.opacity(0.15)
        case .refused: return Color.red.opacity(0.15)
        case .manual: return Color.orange.opacity(0.2)
        }
    }

    @ViewBuilder private var operatorSection: some View {
        Text(model.policy.map { env.pick("事業者：", "Operator: ") + $0.name(lang: env.lang) }
             ?? env.pick("事業者：未選択（有効性のみ確認）", "Operator: none (validity only)")).bold()
        if !model.operators.isEmpty {
            Button(env.pick("事業者を選ぶ", "Choose the operator")) { choosing = true }
        }
        if model.policy != nil {
            SecureField(env.pick("事業者トークン（クーポンの記録用）", "Operator token (for coupon redemptions)"), text: $token)
                .onSubmit { model.setToken(token); token = "" }
        }
        if let asks = model.policy?.asks() {
            if asks.distance {
                TextField(env.pick("片道の距離（km）", "One-way distance (km)"), text: $model.distanceKm)
                    .keyboardType(.numberPad)
            }
            if asks.caregiver {
                Picker(env.pick("介護者", "Caregiver"), selection: $model.caregiver) {
                    Text(env.pick("未確認", "not asked")).tag(Bool?.none)
                    Text(env.pick("同行", "travelling")).tag(Bool?.some(true))
                    Text(env.pick("本人のみ", "holder alone")).tag(Bool?.some(false))
                }
                .pickerStyle(.segmented)
            }
        }
    }

    private var operatorList: some View {
        NavigationStack {
            List {
                ForEach(model.operators, id: \.id) { o in
                    Button("\(o.name)（\(o.area)）") { model.choose(o.id); choosing = false }
                }
                Button(env.pick("選ばない（有効性のみ確認）", "None (check validity only)")) { model.choose(nil); choosing = false }
            }
            .navigationTitle(env.pick("どの事業者の窓口ですか", "Which operator is this counter?"))
        }
    }
}

/// AVFoundation's QR detector in a SwiftUI view; calls `found` once per scan with the code's
/// bytes. A counter code in byte mode has no `stringValue` worth reading: its codewords are
/// read by the core (`qrContentFromCodewords`), so the bytes arrive as they were encoded.
struct QrScannerView: UIViewControllerRepresentable {
    let found: (Data) -> Void

    func makeUIViewController(context: Context) -> ScannerController {
        ScannerController(found: found)
    }

    func updateUIViewController(_ controller: ScannerController, context: Context) {}

    final class ScannerController: UIViewController, AVCaptureMetadataOutputObjectsDelegate {
        private let session = AVCaptureSession()
        private let found: (Data) -> Void
        private var done = false

        init(found: @escaping (Data) -> Void) {
            self.found = found
            super.init(nibName: nil, bundle: nil)
        }

        required init?(coder: NSCoder) { nil }

        override func viewDidLoad() {
            super.viewDidLoad()
            guard let camera = AVCaptureDevice.default(for: .video),
                  let input = try? AVCaptureDeviceInput(device: camera),
                  session.canAddInput(input) else { return }
            session.addInput(input)
            let output = AVCaptureMetadataOutput()
            guard session.canAddOutput(output) else { return }
            session.addOutput(output)
            output.setMetadataObjectsDelegate(self, queue: .main)
            output.metadataObjectTypes = [.qr]
            let preview = AVCaptureVideoPreviewLayer(session: session)
            preview.frame = view.layer.bounds
            preview.videoGravity = .resizeAspectFill
            view.layer.addSublayer(preview)
        }

        // Running only while on screen: started when shown, stopped when covered or left.
        override func viewWillAppear(_ animated: Bool) {
            super.viewWillAppear(animated)
            DispatchQueue.global(qos: .userInitiated).async { self.session.startRunning() }
        }

        override func viewWillDisappear(_ animated: Bool) {
            super.viewWillDisappear(animated)
            session.stopRunning()
        }

        func metadataOutput(_ output: AVCaptureMetadataOutput, didOutput objects: [AVMetadataObject],
                            from connection: AVCaptureConnection) {
            guard !done, let object = objects.first as? AVMetadataMachineReadableCodeObject else { return }
            let payload: Data?
            if let qr = object.descriptor as? CIQRCodeDescriptor {
                payload = qrContentFromCodewords(codewords: qr.errorCorrectedPayload, version: UInt8(qr.symbolVersion))
            } else {
                payload = object.stringValue.map { Data($0.utf8) }
            }
            guard let payload else { return }
            done = true
            session.stopRunning()
            found(payload)
        }
    }
}
