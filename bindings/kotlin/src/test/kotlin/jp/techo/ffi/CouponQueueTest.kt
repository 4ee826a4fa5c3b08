package jp.techo.ffi

import kotlinx.coroutines.runBlocking
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.techo_ffi.CounterOptions
import uniffi.techo_ffi.CounterSession
import uniffi.techo_ffi.CouponQueue
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.LinkFlow
import uniffi.techo_ffi.LinkStep
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.Wallet

/**
 * Staff mode's coupon queue offline, through the library the phone ships: a counter whose
 * connection is gone still redeems (queued, saved, reopened) and keeps the queue when sending
 * fails; a coupon of another operator is refused with the reason.
 */
class CouponQueueTest {
    @Test
    fun `an offline counter queues a redemption and keeps it until it can send`() {
        val dir = tempDir()
        Servers(dir).use { servers -> CardSim(dir, "yamada").use { sim ->
            val service = servers.service()
            Wallet.open(java.io.File(dir, "wallet").path, MemoryDataKeys(), JcaDeviceKeyStore(), null).use { wallet ->
                val hb = wallet.register(yamadaForm(), fixture("handbooks/photos/yamada.png").readBytes(), Language.ENGLISH)
                assertTrue(linkWithCard(LinkFlow(wallet, service, hb.id, Language.ENGLISH, null), sim, "1234") is LinkStep.Linked)
                servers.publishCoupon(
                    "example-museum",
                    JSONObject().put("id", "winter-2026").put("title_ja", "冬").put("title_en", "Winter")
                        .put("terms_ja", "1回").put("terms_en", "Once").put("valid_from", "2026-01-01")
                        .put("valid_until", "2099-12-31").put("per_holder", 1),
                )
                runBlocking { wallet.syncDirectory(service, Language.ENGLISH) }
                val root = runBlocking { service.rootKey() }
                val verifier = runBlocking { service.fetchVerifier(root) }
                val directory = runBlocking { service.fetchOperators(verifier) }
                val counter = CounterSession(wallet, CounterOptions(Language.ENGLISH, false, 1.0, false))
                counter.setCoupon("example-museum", "winter-2026")
                val code = counter.frame()!!.code!!.binary
                val now = System.currentTimeMillis() / 1000

                // Another operator's counter: refused, with why.
                val ferry = assertThrows(TechoException::class.java) {
                    CouponQueue.open(null).redeem(verifier, directory, "example-ferry", code, now, Language.ENGLISH)
                }
                assertTrue(ferry.message!!.contains("no coupon"), ferry.message)

                val queue = CouponQueue.open(null)
                assertEquals("queued", queue.redeem(verifier, directory, "example-museum", code, now, Language.ENGLISH).result)
                assertEquals("already_queued", queue.redeem(verifier, directory, "example-museum", code, now, Language.ENGLISH).result)
                // Kept in the app's files: reopened after the app was closed.
                val reopened = CouponQueue.open(queue.saved())
                assertEquals(1u, reopened.pending())
                // A damaged file is an empty queue, never a crash.
                assertEquals(0u, CouponQueue.open("{not json".toByteArray()).pending())

                val token = servers.operatorToken("example-museum")
                servers.close()
                assertThrows(TechoException::class.java) {
                    runBlocking { service.sendRedemptions(reopened, "example-museum", token, Language.ENGLISH) }
                }
                assertEquals(1u, reopened.pending(), "offline: the queue is kept")
            }
        } }
    }
}
