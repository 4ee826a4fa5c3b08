package jp.techo.ffi

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import uniffi.techo_ffi.CounterOptions
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.LinkageStatus
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.TechoService
import uniffi.techo_ffi.Wallet
import uniffi.techo_ffi.WalletClock

private val HANDBOOK = fixture("handbooks/01-physical-1-tokyo.toml").readText()
private val PHOTO = fixture("handbooks/photos/yamada.png").readBytes()

class WalletTest {
    @Test
    fun `open a wallet, register a handbook and list it`() {
        val dir = tempDir()
        Wallet.open(dir.path, MemoryDataKeys(), null, null).use { wallet ->
            val hb = wallet.registerToml(HANDBOOK, PHOTO, Language.JAPANESE)
            assertEquals("身体障害者手帳", hb.kindLabel)
            assertEquals("第1種", hb.fareClassLabel)
            assertTrue(hb.caregiverDiscount)
            assertEquals(LinkageStatus.UNLINKED, hb.linkage.status)
            assertEquals(listOf(hb.id), wallet.handbooks(Language.ENGLISH).map { it.id })
            val screen = wallet.counterScreen(CounterOptions(Language.ENGLISH, false, 1.0, false))
            assertNotNull(screen)
            screen!!
            assertEquals(listOf("Handbook", "Fare discount", "Linkage"), screen.items.take(3).map { it.label })
            assertEquals(null, screen.characterFrame, "an unlinked screen's character stands still")
            assertTrue(screen.items.all { it.spoken.isNotEmpty() })
        }
    }

    @Test
    fun `a bad handbook names its field`() {
        Wallet.open(tempDir().path, MemoryDataKeys(), null, null).use { wallet ->
            val e = assertThrows<TechoException.InvalidHandbook> {
                wallet.registerToml(HANDBOOK.replace("131016", "131017"), null, Language.JAPANESE)
            }
            assertTrue(e.detail.contains("municipality_code"), e.detail)
        }
    }

    @Test
    fun `link with a Kotlin card transport and Kotlin device keys, then present and verify`() {
        val dir = tempDir()
        val deviceKeys = JcaDeviceKeyStore()
        val clock = object : WalletClock {
            var calls = 0
            override fun nowUnixMillis(): Long { calls++; return System.currentTimeMillis() }
        }
        Servers(dir).use { servers ->
            val service = TechoService.fromEndpointsFile(servers.endpoints.path)
            Wallet.open(java.io.File(dir, "wallet").path, MemoryDataKeys(), deviceKeys, clock).use { wallet ->
                val hb = wallet.registerToml(HANDBOOK, PHOTO, Language.JAPANESE)
                assertThrows<TechoException.NothingToPresent> { wallet.present(null) }

                val card = ForwardingCard(softwareCard(dir, "yamada"))
                val info = runBlocking { wallet.link(service, hb.id, card, "1234", false, null, Language.JAPANESE) }
                assertEquals(LinkageStatus.LINKED, info.status)
                assertEquals("連携済", info.label)
                assertNotNull(info.validUntil)
                assertTrue(card.apdus >= 6, "${card.apdus} APDUs")
                assertTrue(deviceKeys.keys.isNotEmpty(), "the batch's keys live in the Kotlin keystore")

                val p = wallet.present(null)
                assertTrue(p.text.startsWith("TK1:"))
                assertEquals(p.qrWidth.toInt() * p.qrWidth.toInt(), p.qrModules.size)
                assertEquals(1, deviceKeys.signatures)

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

                // The support profile: its own band on the screen, self-declared in the QR.
                wallet.setSupportProfileToml(fixture("profiles/powered-chair.toml").readText())
                val band = wallet.counterScreen(CounterOptions(Language.JAPANESE, false, 1.0, false))!!.support!!
                assertEquals("本人申告", band.tag)
                val declared = verifier.verify(wallet.present(null).binary, now, Language.ENGLISH).selfDeclared
                assertEquals(listOf("Electric wheelchair", "Boarding ramp"), declared)
                assertEquals(2, deviceKeys.signatures, "the screen itself signs nothing; each QR is one signature")

                // The holder cancels the biometric prompt: a typed error, nothing lost.
                deviceKeys.cancelNext = true
                assertThrows<TechoException.DeviceKey> { wallet.present(null) }
                assertEquals(LinkageStatus.LINKED, wallet.linkage(hb.id, Language.JAPANESE).status)
                assertTrue(clock.calls > 0, "the core asked the Kotlin clock")

                val after = runBlocking { wallet.unlink(service, hb.id, Language.ENGLISH) }
                assertEquals(LinkageStatus.UNLINKED, after.status)
                assertTrue(deviceKeys.keys.isEmpty(), "unlinking deletes the device keys")
            }
        }
    }

    @Test
    fun `a wrong PIN surfaces as WrongPin with the tries left`() {
        val dir = tempDir()
        Servers(dir).use { servers ->
            val service = TechoService.fromEndpointsFile(servers.endpoints.path)
            Wallet.open(java.io.File(dir, "wallet").path, MemoryDataKeys(), JcaDeviceKeyStore(), null).use { wallet ->
                val hb = wallet.registerToml(HANDBOOK, null, Language.JAPANESE)
                val raw = softwareCard(dir, "yamada")
                val e = assertThrows<TechoException.WrongPin> {
                    runBlocking { wallet.link(service, hb.id, ForwardingCard(raw), "9999", false, null, Language.ENGLISH) }
                }
                assertEquals(2.toUByte(), e.triesLeft)
                assertTrue(e.detail.contains("2 tries left"), e.detail)
                assertEquals(2.toUByte(), raw.authTriesLeft())
                assertEquals(LinkageStatus.UNLINKED, wallet.linkage(hb.id, Language.ENGLISH).status)
            }
        }
    }
}
