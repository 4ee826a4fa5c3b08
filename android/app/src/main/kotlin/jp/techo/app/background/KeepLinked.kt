package jp.techo.app.background

import jp.techo.app.ConfigMissing
import jp.techo.app.TechoApp
import jp.techo.app.WalletState
import kotlinx.coroutines.runBlocking
import uniffi.techo_ffi.KeepLinkedReport
import uniffi.techo_ffi.TechoException

/**
 * One run of the core's keep-linked pass (pending linkages asked about, batches renewed before
 * they run out, a warning before the consent ends, revocations learnt): its notices posted and
 * the next run scheduled. Blocking: call it off the main thread (the job does, and the list
 * after the app lock).
 *
 * A device key that wants a recent unlock cannot sign a renewal while the phone is locked: that
 * handbook is in the report's problems and is renewed on the next run after the holder opens
 * the app (renewals start a week ahead, so there is time).
 */
class KeepLinked(private val app: TechoApp) {
    /**
     * The report, or `null` when nothing could run (no wallet, no server configured, store
     * error). One run at a time in the process: the job and the list never renew one handbook
     * twice over.
     */
    fun run(): KeepLinkedReport? = synchronized(RUNNING) { runOnce() }

    private fun runOnce(): KeepLinkedReport? {
        val wallet = (app.walletState() as? WalletState.Open)?.wallet ?: return null
        val service = try {
            app.service()
        } catch (_: ConfigMissing) {
            return null
        }
        val report = try {
            runBlocking { wallet.keepLinked(service, app.lang) }
        } catch (e: TechoException) {
            LinkageJob.schedule(app, System.currentTimeMillis() / 1000 + RETRY_AFTER_FAILURE_S)
            return null
        }
        for (notice in report.notices) LinkageNotifications.post(app, notice, app.lang)
        LinkageJob.schedule(app, report.nextRunUnix)
        return report
    }

    companion object {
        private val RUNNING = Any()

        /** After a run that could not read the wallet at all. */
        const val RETRY_AFTER_FAILURE_S = 3600L
    }
}
