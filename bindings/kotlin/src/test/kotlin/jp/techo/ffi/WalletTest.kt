package jp.techo.ffi

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import uniffi.techo_ffi.BatteryType
import uniffi.techo_ffi.CodeStatus
import uniffi.techo_ffi.CounterOptions
import uniffi.techo_ffi.CounterSession
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.LinkFlow
import uniffi.techo_ffi.LinkProgress
import uniffi.techo_ffi.LinkStep
import uniffi.techo_ffi.LinkageStatus
import uniffi.techo_ffi.NoticeKind
import uniffi.techo_ffi.PoweredSpec
import uniffi.techo_ffi.SupportCode
import uniffi.techo_ffi.SupportItem
import uniffi.techo_ffi.SupportProfile
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.Wallet
import uniffi.techo_ffi.WalletClock
import uniffi.techo_ffi.supportChoices

private val PHOTO = fixture("handbooks/photos/yamada.png").readBytes()
private val EN = CounterOptions(Language.ENGLISH, false, 1.0, false)

/** Types [pin] key by key into [flow]; returns the last step. */
fun typePin(flow: LinkFlow, pin: String): LinkStep =
    pin.fold(flow.step()) { _, d -> flow.pressDigit((d - '0').toUByte()) }

/** [pin] on the keypad, then the flow made ready before the card (keys, session, challenge). */
fun typePinAndPrepare(flow: LinkFlow, pin: String): LinkStep {
    val typed = typePin(flow, pin)
    assertTrue(typed is LinkStep.Working && typed.progress == LinkProgress.STARTING, "$typed")
    return runBlocking { flow.prepare() }
}

/** Past the purpose, [pin] on the keypad, then [sim]'s card held to the phone: the step after it. */
fun linkWithCard(flow: LinkFlow, sim: CardSim, pin: String): LinkStep {
    flow.acceptPurpose()
    typePinAndPrepare(flow, pin)
    return sim.tap().use { runBlocking { flow.cardPresented(it) } }
}

class WalletTest {
    @Test
    fun `open a wallet, register a handbook from the form and list it`() {
        val dir = tempDir()
        Wallet.open(dir.path, MemoryDataKeys(), null, null).use { wallet ->
            val hb = wallet.register(yamadaForm(), PHOTO, Language.JAPANESE)
            assertEquals("身体障害者手帳", hb.kindLabel)
            assertEquals("第1種", hb.fareClassLabel)
            assertTrue(hb.caregiverDiscount)
            assertEquals(LinkageStatus.UNLINKED, hb.linkage.status)
            assertEquals(listOf(hb.id), wallet.handbooks(Language.ENGLISH).map { it.id })
            CounterSession(wallet, EN).use { counter ->
                val frame = counter.frame()!!
                assertEquals(listOf("Handbook", "Fare discount", "Linkage"), frame.view.items.take(3).map { it.label })
                assertNull(frame.view.characterFrame, "an unlinked screen's character stands still")
                assertEquals(CodeStatus.NOT_LINKED, frame.status)
                assertNull(frame.code)
                assertTrue(frame.view.items.all { it.spoken.isNotEmpty() })
            }
        }
    }

    @Test
    fun `a bad form names each wrong field in the holder's language`() {
        Wallet.open(tempDir().path, MemoryDataKeys(), null, null).use { wallet ->
            val bad = yamadaForm().copy(municipalityCode = "131017", issued = "2099-01-01", holderKana = null)
            // Every wrong field at once, the future date included.
            val e = assertThrows<TechoException.InvalidHandbook> {
                wallet.register(bad, null, Language.ENGLISH)
            }
            val fields = e.fields.associate { it.field to it.message }
            assertTrue("municipality_code" in fields, "$fields")
            assertTrue(fields.getValue("municipality_code").contains("check digit"), "$fields")
            assertTrue("issued" in fields, "$fields")
            assertTrue(wallet.handbooks(Language.ENGLISH).isEmpty(), "nothing was stored")
        }
    }

    @Test
    fun `link through the flow with a socket card and Kotlin keys, then the counter and a verifier`() {
        val dir = tempDir()
        val deviceKeys = JcaDeviceKeyStore()
        val clock = object : WalletClock {
            @Volatile var calls = 0
            override fun nowUnixMillis(): Long { calls++; return System.currentTimeMillis() }
        }
        Servers(dir).use { servers ->
            CardSim(dir, "yamada").use { sim ->
                val service = servers.service()
                Wallet.open(java.io.File(dir, "wallet").path, MemoryDataKeys(), deviceKeys, clock).use { wallet ->
                    val hb = wallet.register(yamadaForm(), PHOTO, Language.JAPANESE)
                    val flow = LinkFlow(wallet, service, hb.id, Language.JAPANESE, null)
                    val purpose = flow.step() as LinkStep.Purpose
                    assertTrue(purpose.items.contains("旅客運賃減額の種別"), "${purpose.items}")
                    flow.acceptPurpose()
                    assertTrue(typePinAndPrepare(flow, "1234") is LinkStep.HoldCard)
                    val card = sim.tap()
                    val linked = card.use { runBlocking { flow.cardPresented(it) } }
                    assertTrue(linked is LinkStep.Linked, "$linked")
                    assertEquals("連携済", (linked as LinkStep.Linked).label)
                    assertNotNull(linked.validUntil)
                    assertTrue(card.apdus >= 6, "${card.apdus} APDUs")
                    assertTrue(deviceKeys.keys.isNotEmpty(), "the batch's keys live in the Kotlin keystore")
                    // A second tap after the end is ignored: nothing more is sent.
                    sim.tap().use { again ->
                        assertTrue(runBlocking { flow.cardPresented(again) } is LinkStep.Linked)
                        assertEquals(0, again.apdus)
                    }

                    CounterSession(wallet, EN).use { counter ->
                        val frame = counter.frame()!!
                        assertEquals(CodeStatus.SHOWN, frame.status)
                        val p = frame.code!!
                        assertTrue(p.text.startsWith("TK1:"))
                        assertEquals(p.qrWidth.toInt() * p.qrWidth.toInt(), p.qrModules.size)
                        assertEquals(1, deviceKeys.signatures)
                        assertTrue(frame.nextFrameMs.toInt() in 1..100, "animated: ${frame.nextFrameMs}")
                        counter.frame()
                        assertEquals(1, deviceKeys.signatures, "the same step signs once")

                        val verifier = runBlocking { service.fetchVerifier(service.rootKey()) }
                        val now = System.currentTimeMillis() / 1000
                        val verdict = verifier.verify(p.binary, now, Language.ENGLISH)
                        assertEquals("Linked", verdict.linkage)
                        assertEquals(true, verdict.caregiver)
                        val tampered = p.binary.copyOf().also { it[it.size / 2] = (it[it.size / 2] + 1).toByte() }
                        assertThrows<TechoException.Rejected> { verifier.verify(tampered, now, Language.ENGLISH) }
                        val stale = assertThrows<TechoException.Rejected> { verifier.verify(p.binary, now + 120, Language.ENGLISH) }
                        assertEquals("stale_screen", stale.code)
                        assertEquals(emptyList<String>(), verdict.selfDeclared)

                        // The support profile as typed records: its own band, self-declared in the QR.
                        assertTrue(supportChoices(Language.ENGLISH).any { it.code == SupportCode.ELECTRIC_WHEELCHAIR && it.needsPoweredDetails })
                        wallet.setSupportProfile(
                            SupportProfile(
                                listOf(
                                    SupportItem(SupportCode.ELECTRIC_WHEELCHAIR, PoweredSpec(BatteryType.LITHIUM_ION, 300u, 63u, 110u, 95u, 85u), true, true),
                                    SupportItem(SupportCode.BOARDING_RAMP, null, true, true),
                                ),
                                null,
                            ),
                        )
                        assertEquals(2, wallet.supportProfile().items.size)
                        counter.setOptions(CounterOptions(Language.JAPANESE, false, 1.0, false))
                        assertEquals("本人申告", counter.frame()!!.view.support!!.tag)
                    }
                    // A fresh screen signs a fresh code, now with the declared items.
                    CounterSession(wallet, EN).use { counter ->
                        val verifier = runBlocking { service.fetchVerifier(service.rootKey()) }
                        val declared = verifier.verify(counter.frame()!!.code!!.binary, System.currentTimeMillis() / 1000, Language.ENGLISH).selfDeclared
                        assertEquals(listOf("Electric wheelchair", "Boarding ramp"), declared)
                    }
                    // The holder cancels the biometric prompt: no code, no loop, a tap brings it back.
                    CounterSession(wallet, EN).use { counter ->
                        deviceKeys.cancelNext = true
                        val before = deviceKeys.signatures
                        assertEquals(CodeStatus.CANCELLED, counter.frame()!!.status)
                        repeat(50) { counter.frame() }
                        assertEquals(1u, counter.signingAttempts())
                        counter.retry()
                        assertEquals(CodeStatus.SHOWN, counter.frame()!!.status)
                        assertEquals(before + 1, deviceKeys.signatures)
                    }
                    assertEquals(LinkageStatus.LINKED, wallet.linkage(hb.id, Language.JAPANESE).status)
                    assertTrue(clock.calls > 0, "the core asked the Kotlin clock")

                    val after = runBlocking { wallet.unlink(service, hb.id, Language.ENGLISH) }
                    assertEquals(LinkageStatus.UNLINKED, after.status)
                    assertTrue(deviceKeys.keys.isEmpty(), "unlinking deletes the device keys")
                }
            }
        }
    }

    @Test
    fun `a wrong PIN costs one try and is never retried by the app`() {
        val dir = tempDir()
        Servers(dir).use { servers ->
            CardSim(dir, "yamada").use { sim ->
                val service = servers.service()
                Wallet.open(java.io.File(dir, "wallet").path, MemoryDataKeys(), JcaDeviceKeyStore(), null).use { wallet ->
                    val hb = wallet.register(yamadaForm(), PHOTO, Language.ENGLISH)
                    val flow = LinkFlow(wallet, service, hb.id, Language.ENGLISH, null)
                    val step = linkWithCard(flow, sim, "9999")
                    assertTrue(step is LinkStep.EnterPin, "$step")
                    step as LinkStep.EnterPin
                    assertEquals(2.toUByte(), step.triesLeft)
                    assertEquals(0.toUByte(), step.entered, "the PIN was wiped")
                    assertTrue(step.notice!!.contains("2 tries left"), step.notice)
                    assertEquals(2, sim.authTriesLeft())
                    assertEquals(LinkageStatus.UNLINKED, wallet.linkage(hb.id, Language.ENGLISH).status)
                }
            }
        }
    }

    @Test
    fun `keepLinked warns before the consent ends and waiting on a linked handbook returns at once`() {
        val dir = tempDir()
        // The portal grants 20-day consents: the warning is due as soon as the linkage is done.
        Servers(dir, "--consent-days", "20").use { servers ->
            CardSim(dir, "yamada").use { sim ->
                val service = servers.service()
                Wallet.open(java.io.File(dir, "wallet").path, MemoryDataKeys(), JcaDeviceKeyStore(), null).use { wallet ->
                    val hb = wallet.register(yamadaForm(), PHOTO, Language.ENGLISH)
                    val flow = LinkFlow(wallet, service, hb.id, Language.ENGLISH, null)
                    val linked = linkWithCard(flow, sim, "1234")
                    assertTrue(linked is LinkStep.Linked, "$linked")
                    val info = wallet.linkage(hb.id, Language.ENGLISH)
                    assertEquals(LinkageStatus.LINKED, info.status)
                    assertNotNull(info.consentUntil)
                    assertTrue(info.notice!!.contains("link again with your My Number card"), info.notice)

                    val report = runBlocking { wallet.keepLinked(service, Language.JAPANESE) }
                    assertEquals(listOf(NoticeKind.CONSENT_ENDS_SOON), report.notices.map { it.kind })
                    assertEquals("まもなくカードで再連携が必要です", report.notices[0].title)
                    assertTrue(report.notices[0].body.contains("日後に終わります"), report.notices[0].body)
                    assertTrue(report.problems.isEmpty(), "${report.problems}")
                    assertTrue(report.nextRunUnix > System.currentTimeMillis() / 1000)
                    val again = runBlocking { wallet.keepLinked(service, Language.JAPANESE) }
                    assertTrue(again.notices.isEmpty(), "warned once")

                    val started = System.nanoTime()
                    val none = runBlocking { wallet.waitForLinkage(service, hb.id, 30u, Language.ENGLISH) }
                    assertNull(none, "nothing changed")
                    assertTrue(System.nanoTime() - started < 25_000_000_000, "a linked handbook is not waited on")
                }
            }
        }
    }
}
