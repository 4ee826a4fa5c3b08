package jp.techo.app.ui

import android.content.Intent
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.standardCouponTerms

/**
 * The coupons operators publish that this handbook can use today, each with its terms and
 * validity shown before use; "use at the counter" opens the counter screen with the coupon in
 * the code (the operator's counter redeems it; the server counts each holder's uses).
 */
class CouponsActivity : TechoActivity() {
    override fun onResume() {
        super.onResume()
        render()
        // What counters redeemed for this holder (a coupon used up shows as used); offline,
        // what was known last stays.
        scope.launch {
            val synced = withContext(Dispatchers.IO) {
                try {
                    app.wallet.syncCouponUses(app.service())
                    true
                } catch (_: TechoException) {
                    false
                } catch (_: jp.techo.app.ConfigMissing) {
                    false
                }
            }
            if (synced && !isFinishing) render()
        }
    }

    private fun render() {
        val coupons = try {
            app.wallet.coupons(null, lang)
        } catch (e: TechoException) {
            screen { text(e.message ?: e.toString(), 20f, tag = "coupons.error") }
            return
        }
        screen {
            text(t("クーポン", "Coupons"), 26f, bold = true)
            if (coupons.isEmpty()) {
                text(t("使えるクーポンはありません（「使える場所」を開くと一覧を更新します）", "No coupons for this handbook (opening \"Where to use it\" updates the list)"), 18f, tag = "coupons.none")
            }
            for (c in coupons) {
                text(c.title, 20f, bold = true, tag = "coupon.${c.operator}.${c.id}")
                text(c.operatorName)
                text(c.terms, 16f)
                text(t("${c.validFrom} 〜 ${c.validUntil}", "${c.validFrom} to ${c.validUntil}"), 16f)
                if (c.perHolder > 0u) text(t("お一人 ${c.perHolder} 回まで", "${c.perHolder} use(s) per holder"), 16f)
                if (c.used > 0u) {
                    val of = if (c.perHolder > 0u) "/${c.perHolder}" else ""
                    text(t("使用済み ${c.used}$of 回", "used ${c.used}$of"), 18f, bold = true, tag = "coupon.used.${c.operator}.${c.id}")
                }
                if (c.usedUp) continue
                button(t("窓口で使う", "Use at the counter"), tag = "coupon.use.${c.operator}.${c.id}") {
                    startActivity(
                        Intent(this@CouponsActivity, CounterActivity::class.java)
                            .putExtra(CounterActivity.COUPON_OPERATOR, c.operator)
                            .putExtra(CounterActivity.COUPON_ID, c.id),
                    )
                }
            }
            if (coupons.isNotEmpty()) text(standardCouponTerms(lang), 14f, tag = "coupons.terms")
        }
    }
}
