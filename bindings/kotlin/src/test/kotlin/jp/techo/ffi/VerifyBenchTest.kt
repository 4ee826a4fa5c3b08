package jp.techo.ffi

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Tag
import org.junit.jupiter.api.Test
import uniffi.techo_ffi.AppLock
import uniffi.techo_ffi.CounterOptions
import uniffi.techo_ffi.CounterSession
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.LinkFlow
import uniffi.techo_ffi.Wallet

/**
 * The cost of one uniffi round trip: Verifier.verify called from Kotlin, against the same
 * verification timed inside Rust by `techo bench` (same release build). A measurement, not a
 * test: run it with `scripts/bindings-kotlin bench`; it prints figures and asserts nothing.
 */
@Tag("bench")
class VerifyBenchTest {
    /** `verify: 139.2 µs = …` from `techo bench`. */
    private fun rustVerifyMicros(): Double {
        val out = ProcessBuilder(bin("techo"), "bench").redirectErrorStream(true).start()
            .inputStream.bufferedReader().readText()
        val line = out.lines().first { it.startsWith("verify:") }
        return Regex("""verify: ([0-9.]+) µs""").find(line)!!.groupValues[1].toDouble()
    }

    @Test
    fun `verify from Kotlin vs in Rust`() {
        val dir = tempDir()
        Servers(dir).use { servers ->
            CardSim(dir, "yamada").use { sim ->
                val service = servers.service()
                Wallet.open(java.io.File(dir, "wallet").path, MemoryDataKeys(), null, null).use { wallet ->
                    val hb = wallet.register(yamadaForm(), fixture("handbooks/photos/yamada.png").readBytes(), Language.JAPANESE)
                    val flow = LinkFlow(wallet, service, hb.id, Language.JAPANESE, null)
                    flow.acceptPurpose()
                    typePinAndPrepare(flow, "1234")
                    sim.tap().use { runBlocking { flow.cardPresented(it) } }
                    val payload = CounterSession(wallet, CounterOptions(Language.JAPANESE, false, 1.0, false))
                        .frame()!!.code!!.binary
                    val verifier = runBlocking { service.fetchVerifier(service.rootKey()) }
                    val now = System.currentTimeMillis() / 1000
                    val n = 20_000
                    repeat(30_000) { verifier.verify(payload, now, Language.JAPANESE) }
                    fun kotlinNs(): Double {
                        val start = System.nanoTime()
                        repeat(n) { verifier.verify(payload, now, Language.JAPANESE) }
                        return (System.nanoTime() - start).toDouble() / n
                    }
                    val k1 = kotlinNs()
                    val rustUs = rustVerifyMicros()
                    val k2 = kotlinNs()
                    // The bare crossing: a call that does nothing but return a bool.
                    val lock = AppLock()
                    repeat(300_000) { lock.needsUnlock() }
                    val t0 = System.nanoTime()
                    repeat(200_000) { lock.needsUnlock() }
                    val bareNs = (System.nanoTime() - t0).toDouble() / 200_000
                    val kotlinUs = minOf(k1, k2) / 1000
                    println("bench: two rounds from Kotlin %.1f and %.1f µs; bare uniffi call %.2f µs"
                        .format(k1 / 1000, k2 / 1000, bareNs / 1000))
                    println("bench: verify from Kotlin %.1f µs, in Rust %.1f µs; uniffi overhead %.1f µs per call (%.2f×)"
                        .format(kotlinUs, rustUs, kotlinUs - rustUs, kotlinUs / rustUs))
                }
            }
        }
    }
}
