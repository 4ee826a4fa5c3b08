// Keeping 連携済 true in the background: the core's keep-linked pass (pending linkages asked
// about, batches renewed a week before they run out, a warning before the consent ends,
// revocations learnt) run from a BGAppRefreshTask and when the list appears; its notices posted
// with UNUserNotificationCenter. The words are the core's. NOT COMPILED HERE (docs/ios.md).
import BackgroundTasks
import UserNotifications

enum KeepLinked {
    /// Registered in Info.plist under BGTaskSchedulerPermittedIdentifiers.
    /// `<bundle id>.keep-linked`, as Info.plist lists it (both follow PRODUCT_BUNDLE_IDENTIFIER).
    static let taskId = (Bundle.main.bundleIdentifier ?? "jp.techo.app") + ".keep-linked"

    /// Call once at launch, before the app finishes launching.
    static func register(env: AppEnvironment) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: taskId, using: nil) { task in
            guard let task = task as? BGAppRefreshTask else { return }
            let work = Task {
                let ok = await run(env: env) != nil
                task.setTaskCompleted(success: ok)
            }
            task.expirationHandler = { work.cancel() }
        }
    }

    /// One pass: posts the notices, schedules the next run, returns the report (`nil`: no wallet
    /// or server, or the store failed; tried again in an hour).
    /// One pass at a time: the background task and the list never renew one handbook twice.
    private actor Gate {
        private var busy = false
        func enter() -> Bool {
            if busy { return false }
            busy = true
            return true
        }
        func leave() { busy = false }
    }
    private static let gate = Gate()

    @discardableResult
    static func run(env: AppEnvironment) async -> KeepLinkedReport? {
        guard let wallet = env.wallet, let service = env.service else { return nil }
        guard await gate.enter() else { return nil }
        defer { Task { await gate.leave() } }
        do {
            let report = try await wallet.keepLinked(service: service, lang: env.lang)
            for notice in report.notices { await post(notice) }
            schedule(at: Date(timeIntervalSince1970: TimeInterval(report.nextRunUnix)))
            return report
        } catch {
            schedule(at: Date().addingTimeInterval(3600))
            return nil
        }
    }

    /// While the list is in front and a linkage is 申請中: waits on the server (50 s at a
    /// time) and posts the answer the moment it is stored.
    static func waitWhilePending(env: AppEnvironment, changed: @escaping @MainActor () -> Void) async {
        guard let wallet = env.wallet, let service = env.service else { return }
        while !Task.isCancelled {
            let pending = ((try? wallet.handbooks(lang: env.lang)) ?? []).filter { $0.linkage.status == .pending }
            if pending.isEmpty { return }
            for h in pending {
                do {
                    if let notice = try await wallet.waitForLinkage(service: service, handbookId: h.id, waitSeconds: 50, lang: env.lang) {
                        await post(notice)
                        await changed()
                    }
                } catch {
                    try? await Task.sleep(nanoseconds: 30_000_000_000) // Offline: ask again later.
                }
            }
        }
    }

    static func schedule(at date: Date) {
        let request = BGAppRefreshTaskRequest(identifier: taskId)
        request.earliestBeginDate = date
        try? BGTaskScheduler.shared.submit(request)
    }

    /// Asks once for permission (the system remembers the answer).
    static func askToNotify() {
        UNUserNotificationCenter.current().requestAuthorization(options: [.alert, .sound]) { _, _ in }
    }

    static func post(_ notice: LinkageNotice) async {
        let content = UNMutableNotificationContent()
        content.title = notice.title
        content.body = notice.body
        // One per handbook: a newer notice replaces an older one.
        let request = UNNotificationRequest(identifier: "linkage-\(notice.handbookId)", content: content, trigger: nil)
        try? await UNUserNotificationCenter.current().add(request)
    }
}
