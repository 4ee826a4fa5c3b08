package jp.techo.app

import jp.techo.app.presenter.CounterPresenter
import jp.techo.app.presenter.HandbookListPresenter
import jp.techo.app.presenter.LinkPresenter
import jp.techo.app.presenter.LinkState
import jp.techo.app.presenter.LockPolicy
import jp.techo.app.presenter.PinEntry
import jp.techo.app.presenter.RegisterPresenter
import jp.techo.app.presenter.StaffPresenter
import jp.techo.app.presenter.StaffResult
import jp.techo.ffi.ForwardingCard
import jp.techo.ffi.JcaDeviceKeyStore
import jp.techo.ffi.MemoryDataKeys
import jp.techo.ffi.Servers
import jp.techo.ffi.softwareCard
import jp.techo.ffi.tempDir
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.TechoService
import uniffi.techo_ffi.Wallet
import uniffi.techo_ffi.readCardIdentity

/**
 * The Android shell's presenters on the JVM against the real bindings: register pre-filled from
 * the card, link over a Kotlin CardTransport to the software card, the counter screen with its
 * QR code, and staff mode verifying that code.
 */
class PresentersTest {
    private val dir = tempDir()

    private val keystore = JcaDeviceKeyStore()

    private fun wallet() = Wallet.open(
        java.io.File(dir, "wallet").path, MemoryDataKeys(), keystore, null,
    )

    /** The register form as the holder fills it in for 山田's 身体 1級 handbook. */
    private fun fill(form: RegisterPresenter) {
        form.set("kind", "physical")
        form.set("grade", "1")
        form.set("fare_class", "第1種")
        form.set("number", "第12345号")
        form.set("municipality_code", "131016")
        form.set("municipality_name", "東京都千代田区")
        form.set("issued", "2018-04-02")
        form.set("holder.kana", "ヤマダ タロウ")
    }

    @Test
    fun `register from the card, link, present at the counter, verify in staff mode`() {
        Servers(dir).use { servers ->
            val w = wallet()
            val lang = Language.ENGLISH

            // Register: name and birth date from the card's basic four facts.
            val form = RegisterPresenter(w, lang)
            fill(form)
            form.prefill(readCardIdentity(ForwardingCard(softwareCard(dir, "yamada")), "1234", false))
            assertEquals("山田 太郎", form.fields["holder.name"])
            val hb = requireNotNull(form.register(null)) { "${form.errors}" }
            val list = HandbookListPresenter(w, lang)
            assertEquals(listOf(hb.id), list.rows().map { it.id })
            assertFalse(list.rows()[0].linked)

            // The counter before linking: a screen, but no QR code yet.
            val counter = CounterPresenter(w, lang)
            val before = counter.frame()!!
            assertNull(before.qr)
            assertNotNull(before.qrProblem)

            // Link: the PIN typed in-app, then the card.
            val service = TechoService.fromEndpointsFile(servers.endpoints.path)
            val link = LinkPresenter(w, service, hb.id, lang)
            "1234".forEach { link.pin.press(it) }
            assertEquals(LinkState.HoldCard, link.pinEntered())
            val card = ForwardingCard(softwareCard(dir, "yamada"))
            val state = runBlocking { link.onCard(card) }
            assertTrue(state is LinkState.Linked, "$state")
            assertEquals(0, link.pin.size, "the PIN is wiped after use")
            assertTrue(list.rows()[0].linked)

            // The counter: the view model and a QR code from the core.
            counter.switchTo(hb.id)
            val frame = counter.frame()!!
            val qr = requireNotNull(frame.qr) { "${frame.qrProblem}" }
            assertTrue(frame.view.items.isNotEmpty() && frame.view.items.all { it.spoken.isNotBlank() })
            assertEquals(qr.qrWidth.toInt(), counter.modules().size)
            // Within the same step the code is kept; it is not signed again every frame.
            assertEquals(qr.text, counter.frame()!!.qr!!.text)

            // Staff mode verifies it offline with lists fetched earlier.
            val verifier = runBlocking { service.fetchVerifier(service.rootKey()) }
            val staff = StaffPresenter(verifier, lang)
            val now = System.currentTimeMillis() / 1000
            val ok = staff.onScanned(qr.text, now)
            assertTrue(ok is StaffResult.Valid, "$ok")
            assertEquals("◯ VALID HANDBOOK", ok.lines[0])
            assertTrue(ok.lines.any { it.contains("caregiver") }, "${ok.lines}")

            // A screenshot shown ten minutes later is refused, and says why.
            val late = staff.onScanned(qr.text, now + 600)
            assertTrue(late is StaffResult.Refused && late.code == "stale_screen", "$late")

            // A phone left unlocked and picked up once the Keystore's window has passed: the
            // counter asks for the app lock and shows no code; after the holder unlocks, the
            // next frame has a code that verifies.
            keystore.locked = true
            val picked = CounterPresenter(w, lang)
            val lockedFrame = picked.frame()!!
            assertTrue(lockedFrame.needsUnlock && lockedFrame.qr == null, "$lockedFrame")
            assertTrue(lockedFrame.qrProblem!!.contains("unlock"), "${lockedFrame.qrProblem}")
            keystore.locked = false
            val unlockedFrame = picked.frame()!!
            assertFalse(unlockedFrame.needsUnlock)
            val fresh = staff.onScanned(requireNotNull(unlockedFrame.qr).text, System.currentTimeMillis() / 1000)
            assertTrue(fresh is StaffResult.Valid, "$fresh")
        }
    }

    @Test
    fun `the app lock comes back after a minute in the background, never between the app's screens`() {
        var now = 0L
        val lock = LockPolicy(relockAfterMillis = 60_000) { now }
        assertTrue(lock.needsUnlock, "locked at start")
        lock.screenStarted()
        lock.unlocked()
        assertFalse(lock.needsUnlock)
        // The list opens the counter: the counter starts before the list stops.
        lock.screenStarted()
        lock.screenStopped()
        now += 120_000
        assertFalse(lock.needsUnlock, "a long look at the counter screen")
        // Home button for half a minute: still open.
        lock.screenStopped()
        now += 30_000
        lock.screenStarted()
        assertFalse(lock.needsUnlock)
        // Put down for longer than a minute, then picked up: locked again.
        lock.screenStopped()
        now += 61_000
        lock.screenStarted()
        assertTrue(lock.needsUnlock)
    }

    @Test
    fun `a wrong PIN shows the tries left and is never retried by the app`() {
        Servers(dir).use { servers ->
            val w = wallet()
            val form = RegisterPresenter(w, Language.JAPANESE)
            fill(form)
            form.set("holder.name", "山田 太郎")
            form.set("holder.birth_date", "1979-07-20")
            val hb = form.register(null)!!
            val link = LinkPresenter(w, TechoService.fromEndpointsFile(servers.endpoints.path), hb.id, Language.JAPANESE)
            "9999".forEach { link.pin.press(it) }
            link.pinEntered()
            val card = ForwardingCard(softwareCard(dir, "yamada"))
            val state = runBlocking { link.onCard(card) }
            assertTrue(state is LinkState.WrongPin && state.triesLeft == 2, "$state")
            // Without a new PIN nothing is sent again.
            val again = runBlocking { link.onCard(card) }
            assertEquals(LinkState.EnterPin, again)
        }
    }

    @Test
    fun `the register form names each wrong field, and the PIN entry hides and wipes digits`() {
        val form = RegisterPresenter(wallet(), Language.ENGLISH)
        fill(form)
        form.set("municipality_code", "131017")
        form.set("holder.name", "Quote \" and \\ backslash")
        assertNull(form.register(null))
        assertTrue(form.errors.keys.contains("municipality_code"), "${form.errors}")
        assertTrue(form.toToml().contains("name = \"Quote \\\" and \\\\ backslash\""), form.toToml())

        val pin = PinEntry()
        "12a34".forEach { pin.press(it) }
        assertEquals("●●●●", pin.masked())
        assertEquals("PinEntry(●●●●)", pin.toString())
        assertFalse(pin.press('5'))
        assertEquals("1234", pin.use { it })
        assertEquals(0, pin.size)
    }
}
