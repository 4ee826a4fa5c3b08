import CoreNFC
import Foundation

/// The My Number card over CoreNFC. The core calls `transmit` from its own thread and waits; each
/// call sends one APDU with `NFCISO7816Tag.sendCommand` and blocks on its completion. Both applet
/// AIDs are listed in Info.plist (`com.apple.developer.nfc.readersession.iso7816.select-identifiers`).
nonisolated final class NFCCardTransport: CardTransport, @unchecked Sendable {
    private let tag: NFCISO7816Tag
    private let timeout: DispatchTimeInterval

    init(tag: NFCISO7816Tag, timeout: DispatchTimeInterval = .seconds(5)) {
        self.tag = tag
        self.timeout = timeout
    }

    /// iPhones that read the My Number card take extended-length APDUs.
    func extendedLength() -> Bool { true }

    /// CoreNFC states no maximum; the core then keeps to ISO 7816's extended sizes.
    func maxTransceiveLength() -> UInt32 { 0 }

    func transmit(apdu: Data) throws -> Data {
        guard let command = NFCISO7816APDU(data: apdu) else {
            throw CardTransportError.Io(reason: "the core sent an APDU CoreNFC cannot parse")
        }
        let done = DispatchSemaphore(value: 0)
        var result: Result<Data, Error> = .failure(CardTransportError.Timeout)
        tag.sendCommand(apdu: command) { data, sw1, sw2, error in
            if let error {
                result = .failure(error)
            } else {
                result = .success(data + Data([sw1, sw2]))
            }
            done.signal()
        }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            throw CardTransportError.Timeout
        }
        switch result {
        case .success(let response):
            return response
        case .failure(let error as NFCReaderError)
            where error.code == .readerTransceiveErrorTagConnectionLost
                || error.code == .readerTransceiveErrorTagNotConnected:
            throw CardTransportError.Removed
        case .failure(let error as CardTransportError):
            throw error
        case .failure(let error):
            throw CardTransportError.Io(reason: error.localizedDescription)
        }
    }
}

/// One card tap: shows the system sheet ("hold the card near the top of the iPhone"), connects to
/// the first ISO 7816 tag and hands it to `onCard` off the main thread; the sheet closes with the
/// message `onCard` returns (success or the core's error). When the sheet ends before a card was
/// handed over (the holder closed it, CoreNFC's 60 s ran out, another app took the reader),
/// `onClosed` is called once, on the main actor, so the screen never waits on a sheet that is gone.
/// CoreNFC calls the delegate on its own queue: nonisolated, whatever the target's default.
nonisolated final class CardReaderSession: NSObject, NFCTagReaderSessionDelegate, @unchecked Sendable {
    private var session: NFCTagReaderSession?
    private let prompt: String
    private let onCard: @Sendable (NFCCardTransport) async -> (ok: Bool, message: String)
    private let onClosed: @MainActor @Sendable () -> Void
    /// Set once a card was handed to `onCard`: its outcome, not `onClosed`, ends the screen's wait.
    private let handedOver = ManagedAtomicFlag()

    init(prompt: String,
         onCard: @escaping @Sendable (NFCCardTransport) async -> (ok: Bool, message: String),
         onClosed: @escaping @MainActor @Sendable () -> Void) {
        self.prompt = prompt
        self.onCard = onCard
        self.onClosed = onClosed
    }

    func begin() {
        session = NFCTagReaderSession(pollingOption: [.iso14443], delegate: self, queue: nil)
        session?.alertMessage = prompt
        session?.begin()
    }

    func tagReaderSessionDidBecomeActive(_ session: NFCTagReaderSession) {}

    func tagReaderSession(_ session: NFCTagReaderSession, didInvalidateWithError error: Error) {
        self.session = nil
        if handedOver.isSet { return }
        let onClosed = self.onClosed
        Task { @MainActor in onClosed() }
    }

    func tagReaderSession(_ session: NFCTagReaderSession, didDetect tags: [NFCTag]) {
        guard let first = tags.first, case let .iso7816(tag) = first else {
            session.invalidate(errorMessage: "This is not a My Number card.")
            return
        }
        session.connect(to: first) { error in
            if let error {
                session.invalidate(errorMessage: error.localizedDescription)
                return
            }
            self.handedOver.set()
            Task.detached {
                let outcome = await self.onCard(NFCCardTransport(tag: tag))
                if outcome.ok {
                    session.alertMessage = outcome.message
                    session.invalidate()
                } else {
                    session.invalidate(errorMessage: outcome.message)
                }
            }
        }
    }
}

/// A flag set once, read from any queue.
nonisolated final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
