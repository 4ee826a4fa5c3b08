import AVFoundation
import SwiftUI

/// Staff mode: the camera reads a holder's QR code, the verdict shows in large type.
struct StaffView: View {
    @EnvironmentObject private var env: AppEnvironment
    @StateObject var model: StaffModel
    @State private var scanning = true

    var body: some View {
        VStack {
            if scanning {
                QrScannerView { text in
                    scanning = false
                    model.scanned(text)
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
        .background(model.lines.isEmpty ? Color.clear : (model.valid ? Color.green.opacity(0.15) : Color.red.opacity(0.15)))
        .task { await model.prepare() }
    }
}

/// AVFoundation's QR detector in a SwiftUI view; calls `found` once per scan.
struct QrScannerView: UIViewControllerRepresentable {
    let found: (String) -> Void

    func makeUIViewController(context: Context) -> ScannerController {
        ScannerController(found: found)
    }

    func updateUIViewController(_ controller: ScannerController, context: Context) {}

    final class ScannerController: UIViewController, AVCaptureMetadataOutputObjectsDelegate {
        private let session = AVCaptureSession()
        private let found: (String) -> Void
        private var done = false

        init(found: @escaping (String) -> Void) {
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
            DispatchQueue.global(qos: .userInitiated).async { self.session.startRunning() }
        }

        override func viewWillDisappear(_ animated: Bool) {
            super.viewWillDisappear(animated)
            session.stopRunning()
        }

        func metadataOutput(_ output: AVCaptureMetadataOutput, didOutput objects: [AVMetadataObject],
                            from connection: AVCaptureConnection) {
            guard !done, let code = (objects.first as? AVMetadataMachineReadableCodeObject)?.stringValue else { return }
            done = true
            session.stopRunning()
            found(code)
        }
    }
}
