package jp.techo.ffi

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Tag
import org.junit.jupiter.api.Test
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.TechoService
import uniffi.techo_ffi.Wallet

/**
 * The cost of one uniffi round trip: Verifier.verify called from Kotlin against the same
 * verification looped inside Rust. A measurement, not a test: run it with
 * `scripts/bindings-kotlin bench`; it prints figures and asserts nothing about time.
 */
@Tag("bench")
class VerifyBenchTest {
    @Test
    fun `verify from Kotlin vs in Rust`() {
        val dir = tempDir()
        Servers(dir).use { servers ->
            val service = TechoService.fromEndpointsFile(servers.endpoints.path)
            Wallet.open(java.io.File(dir, "wallet").path, MemoryDataKeys(), null, null).use { wallet ->
                val hb = wallet.registerToml(fixture("handbooks/01-physical-1-tokyo.toml").readText(), null, Language.JAPANESE)
                runBlocking { wallet.link(service, hb.id, ForwardingCard(softwareCard(dir, "yamada")), "1234", false, null, Language.JAPANESE) }
                val payload = wallet.present(null).binary
                val verifier = runBlocking { service.fetchVerifier(service.rootKey()) }
                val now = System.currentTimeMillis() / 1000
                val n = 20_000
                repeat(30_000) { verifier.verify(payload, now, Language.JAPANESE) }
                verifier.verifyInRustNanos(payload, now, 2_000u)
                val start = System.nanoTime()
                repeat(n) { verifier.verify(payload, now, Language.JAPANESE) }
                val kotlinNs = (System.nanoTime() - start).toDouble() / n
                val rustNs = verifier.verifyInRustNanos(payload, now, n.toUInt())
                // Alternate the two to see the noise of this shared machine.
                val k2 = run {
                    val s = System.nanoTime()
                    repeat(n) { verifier.verify(payload, now, Language.JAPANESE) }
                    (System.nanoTime() - s).toDouble() / n
                }
                val r2 = verifier.verifyInRustNanos(payload, now, n.toUInt())
                // The bare crossing: a call that does nothing but return a bool.
                val card = softwareCard(dir, "yamada")
                repeat(300_000) { card.extendedLength() }
                val t0 = System.nanoTime()
                repeat(200_000) { card.extendedLength() }
                val bareNs = (System.nanoTime() - t0).toDouble() / 200_000
                println("bench: second round Kotlin %.1f µs, Rust %.1f µs; bare uniffi call %.2f µs"
                    .format(k2 / 1000, r2 / 1000, bareNs / 1000))
                println("bench: verify from Kotlin %.1f µs, in Rust %.1f µs; uniffi overhead %.1f µs per call (%.2f×)"
                    .format(kotlinNs / 1000, rustNs / 1000, (kotlinNs - rustNs) / 1000, kotlinNs / rustNs))
            }
        }
    }
}
