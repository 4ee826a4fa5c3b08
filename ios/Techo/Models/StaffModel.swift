import Foundation

/// Staff mode: the issuer's lists refreshed when the mode opens (one small signed delta per list
/// from the lists saved last time, or everything) and checked against the root key shipped with
/// the app (`techo-root-key.txt`), then every scan checked offline. Without a connection the
/// saved lists are used (checked again by the core) and their age is shown. The operator comes
/// from the issuer-signed directory (saved signed, opened again offline) and is remembered; with
/// one chosen a scan gets the operator's verdict (`Verifier.judge`, the same as
/// `techo verify --policy`), without one whether the code is valid. The lines come from the core.
@MainActor
final class StaffModel: ObservableObject {
    enum Tone { case none, accepted, refused, manual }

    @Published private(set) var lines: [String] = []
    @Published private(set) var details: [String] = []
    @Published private(set) var declared: [String] = []
    @Published private(set) var tone: Tone = .none
    @Published private(set) var operators: [OperatorChoice] = []
    @Published private(set) var policy: StaffPolicy?
    /// The trip as staff answer it; the questions shown are the policy's `asks()`.
    @Published var distanceKm: String = ""
    @Published var caregiver: Bool?
    /// This operator's coupon is in the last code: "Redeem the coupon" is offered.
    @Published private(set) var canRedeem = false
    @Published private(set) var redeemed: String?
    private var lastCode: Data?
    private let coupons: CouponQueue
    private var verifier: Verifier?
    private var directory: OperatorDirectory?
    let env: AppEnvironment
    private static let operatorKey = "staff.operator"

    init(env: AppEnvironment) {
        self.env = env
        coupons = CouponQueue.open(saved: try? Data(contentsOf: env.staffFile("staff-coupon-queue.json")))
    }

    func prepare() async {
        guard let service = env.service, let root = env.rootKey else {
            lines = [env.pick("このアプリには発行元の鍵が設定されていません", "This app has no issuer key configured")]
            return
        }
        let listsFile = env.staffFile("verifier-lists.cbor")
        let operatorsFile = env.staffFile("staff-operators.cbor")
        let saved = try? Data(contentsOf: listsFile)
        var online = true
        do {
            let fresh = try await service.refreshVerifier(pinnedRootKey: root, saved: saved)
            if let bytes = fresh.saved() { write(bytes, to: listsFile) }
            verifier = fresh
        } catch {
            guard let saved, let offline = try? Verifier.fromSaved(rootKey: root, saved: saved) else {
                lines = [env.pick("失効情報を取得できません", "Cannot fetch the revocation lists"), error.localizedDescription]
                return
            }
            online = false
            verifier = offline
            let hours = offline.listsAgeSeconds(nowUnix: Int64(Date().timeIntervalSince1970)) / 3600
            lines = [env.pick("オフライン：\(hours)時間前の失効情報で確認します", "Offline: checking with revocation lists from \(hours) h ago"),
                     error.localizedDescription]
        }
        guard let verifier else { return }
        if online, let fetched = try? await service.fetchOperators(verifier: verifier) {
            write(fetched.saved(), to: operatorsFile)
            directory = fetched
        } else if let signed = try? Data(contentsOf: operatorsFile) {
            directory = try? OperatorDirectory.open(verifier: verifier, signed: signed)
        }
        operators = directory?.operators(lang: env.lang) ?? []
        policy = UserDefaults.standard.string(forKey: Self.operatorKey).flatMap { directory?.policy(id: $0) }
    }

    /// `nil`: no operator, validity only.
    func choose(_ id: String?) {
        UserDefaults.standard.set(id, forKey: Self.operatorKey)
        policy = id.flatMap { directory?.policy(id: $0) }
        distanceKm = ""
        caregiver = nil
    }

    /// The operator's token from support (for sending coupon redemptions), this app only.
    func setToken(_ token: String) {
        guard let id = policy?.id(), !token.isEmpty else { return }
        UserDefaults.standard.set(token, forKey: "staff.token.\(id)")
    }

    /// Redeems this operator's coupon in the last code: queued, then sent when online.
    func redeem() async {
        guard let verifier, let directory, let policy, let code = lastCode else { return }
        do {
            redeemed = try coupons.redeem(verifier: verifier, directory: directory, operatorId: policy.id(),
                                          payload: code, nowUnix: Int64(Date().timeIntervalSince1970), lang: env.lang).message
        } catch {
            redeemed = error.localizedDescription
        }
        canRedeem = false
        write(coupons.saved(), to: env.staffFile("staff-coupon-queue.json"))
        guard let service = env.service, let token = UserDefaults.standard.string(forKey: "staff.token.\(policy.id())") else { return }
        do {
            let notes = try await service.sendRedemptions(queue: coupons, operatorId: policy.id(), operatorToken: token, lang: env.lang)
            redeemed = notes.map(\.message).joined(separator: "\n")
            write(coupons.saved(), to: env.staffFile("staff-coupon-queue.json"))
        } catch {
            redeemed = env.pick("オフライン：送信待ち \(coupons.pending()) 件", "Offline: \(coupons.pending()) waiting to be sent")
        }
    }

    /// A scanned code's bytes (see `QrScannerView`): judged or checked, never thrown.
    func scanned(_ payload: Data) {
        guard let verifier else { return }
        lastCode = payload
        redeemed = nil
        canRedeem = false
        let now = Int64(Date().timeIntervalSince1970)
        details = []
        declared = []
        guard let policy else {
            let check = verifier.check(payload: payload, nowUnix: now, lang: env.lang)
            lines = check.lines
            tone = check.valid ? .accepted : .refused
            return
        }
        var tokyo = Calendar(identifier: .gregorian)
        tokyo.timeZone = TimeZone(identifier: "Asia/Tokyo")!
        let day = tokyo.dateComponents([.year, .month, .day], from: Date())
        let trip = SiteTrip(date: String(format: "%04d-%02d-%02d", day.year ?? 0, day.month ?? 0, day.day ?? 0),
                            distanceKm: UInt32(distanceKm.trimmingCharacters(in: .whitespaces)),
                            withCaregiver: caregiver)
        do {
            let v = try verifier.judge(payload: payload, nowUnix: now, lang: env.lang, policy: policy, trip: trip)
            lines = v.lines
            details = v.details
            declared = v.declared
            canRedeem = v.decision != .invalidCode && (v.coupon?.hasPrefix(policy.id() + "/") ?? false)
            switch v.decision {
            case .accepted: tone = .accepted
            case .checkManually: tone = .manual
            case .notAccepted, .invalidCode: tone = .refused
            }
        } catch {
            lines = [env.pick("確認できません", "Cannot check"), error.localizedDescription]
            tone = .refused
        }
    }

    func next() {
        lines = []
        details = []
        declared = []
        tone = .none
    }

    private func write(_ bytes: Data, to file: URL) {
        try? bytes.write(to: file, options: [.atomic, .completeFileProtectionUntilFirstUserAuthentication])
        AppEnvironment.excludeFromBackup(file)
    }
}
