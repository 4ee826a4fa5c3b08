package jp.techo.app.ui

import android.widget.LinearLayout
import java.io.File
import jp.techo.app.TechoApp
import jp.techo.app.platform.replaceWith
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.CouponQueue
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.Verifier

/**
 * Staff mode's coupon redemptions: a coupon of this operator in a scanned code is redeemed with
 * one tap (checked by the core against the operator's signed coupons), queued in the app's
 * files, and sent with the operator's token when online; offline, the queue waits and says how
 * many are waiting. The server counts each code once and keeps each holder's limit.
 */
class StaffCoupons(
    private val app: TechoApp,
    private val lang: Language,
    private val scope: CoroutineScope,
    private val operator: StaffOperatorPanel,
) {
    private val file: File get() = File(app.filesDir, "staff-coupon-queue.json")
    private val queue: CouponQueue = CouponQueue.open(if (file.exists()) file.readBytes() else null)

    private fun t(ja: String, en: String) = pick(lang, ja, en)

    private fun save() = file.replaceWith(queue.saved())

    /** Under a verdict: "redeem the coupon" when the code carries this operator's coupon. */
    fun offer(results: LinearLayout, verifier: Verifier, code: ByteArray, coupon: String?) {
        val policy = operator.policy ?: return
        val directory = operator.directory ?: return
        val id = policy.id()
        if (coupon?.startsWith("$id/") != true) return
        results.button(t("クーポンを使用済みにする", "Redeem the coupon"), tag = "staff.redeem") {
            val note = try {
                queue.redeem(verifier, directory, id, code, System.currentTimeMillis() / 1000, lang).message
            } catch (e: TechoException) {
                e.message ?: e.toString()
            }
            save()
            results.text(note, 20f, bold = true, tag = "staff.redeemed")
            send(results)
        }
    }

    /** Sends what waits, when the operator's token is set; says what the server answered. */
    fun send(status: LinearLayout) {
        val id = operator.policy?.id() ?: return
        val token = operator.token(id) ?: return
        if (queue.pending() == 0u) return
        scope.launch {
            val said = withContext(Dispatchers.IO) {
                try {
                    val notes = app.service().sendRedemptions(queue, id, token, lang)
                    save()
                    notes.joinToString("\n") { it.message }
                } catch (e: TechoException) {
                    t("オフライン：送信待ち ${queue.pending()} 件", "Offline: ${queue.pending()} waiting to be sent") + "\n" + (e.message ?: "")
                } catch (e: jp.techo.app.ConfigMissing) {
                    e.message
                }
            }
            status.text(said.orEmpty(), 18f, tag = "staff.sent")
        }
    }
}
