import AVFoundation
import CoreImage
import SwiftUI

/// Staff mode: the camera reads a holder's QR code, the verdict shows in large type.
struct StaffView: View {
    @EnvironmentObject private var env: AppEnvironment
    @StateObject var model: StaffModel
    @State private var scanning = true

    var body: some View {
        VStack {
            if scanning {
                QrScannerView { payload in
                    scanning = false
                    model.scanned(payload)
                }
            }
            ForEach(Array(model.lines.enumerated()), id: \.offset) { i, line in
                Text(line).font(i == 0 ? .largeTitle.bold() : .title2)
            }
            if !scanning {
                Button(env.pick("次を読み取る", "Scan the next code")) { scanning = true }
                    .buttonStyle(.borderedProminent)
            }
        }
        .background(model.valid == nil ? Color.clear : (model.valid == true ? Color.green.opacity(0.15) : Color.red.opacity(0.15)))
        .task { await model.prepare() }
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
