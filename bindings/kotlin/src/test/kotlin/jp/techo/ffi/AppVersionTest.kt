package jp.techo.ffi

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.techo_ffi.CounterOptions
import uniffi.techo_ffi.CounterSession
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.LinkFlow
import uniffi.techo_ffi.LinkStep
import uniffi.techo_ffi.Wallet

/** The counter's "update the app" banner comes from the issuer's trust list, learnt by keepLinked. */
class AppVersionTest {
    private val en = CounterOptions(Language.ENGLISH, false, 1.0, false)

    @Test
    fun `a trust list that retires this app's tokens puts the update banner on the counter`() {
        val dir = tempDir()
        Servers(dir, "--min-token-version", "2").use { servers ->
            CardSim(dir, "yamada").use { sim ->
                val service = servers.service()
                Wallet.open(java.io.File(dir, "wallet").path, MemoryDataKeys(), JcaDeviceKeyStore(), null).use { wallet ->
                    val hb = wallet.register(yamadaForm(), fixture("handbooks/photos/yamada.png").readBytes(), Language.ENGLISH)
                    val linked = linkWithCard(LinkFlow(wallet, service, hb.id, Language.ENGLISH, null), sim, "1234")
                    assertTrue(linked is LinkStep.Linked, "$linked")
                    assertNull(CounterSession(wallet, en).frame()!!.view.updateBanner, "not learnt yet")
                    runBlocking { wallet.keepLinked(service, Language.ENGLISH) }
                    val banner = CounterSession(wallet, en).frame()!!.view.updateBanner
                    assertNotNull(banner)
                    assertTrue(banner!!.contains("update"), banner)
                }
            }
        }
    }
}
