package jp.techo.app

import android.Manifest
import android.content.Intent
import android.graphics.SurfaceTexture
import android.net.Uri
import android.view.TextureView
import jp.techo.app.Robot.find
import jp.techo.app.Robot.follow
import jp.techo.app.Robot.holdCard
import jp.techo.app.Robot.launch
import jp.techo.app.Robot.tap
import jp.techo.app.Robot.text
import jp.techo.app.Robot.typePin
import jp.techo.app.Robot.waitFor
import jp.techo.app.ui.LedgerActivity
import jp.techo.app.ui.SettingsActivity
import jp.techo.app.ui.SiteActivity
import jp.techo.ffi.BookingSiteProcess
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode

/**
 * Booking sites from the phone (seed 000), against the reference booking site started by the
 * test on loopback, techo-server and the software card: the `techo://site` link and the site's
 * QR code, the site named first, consent, the name and birth date from the card, an order
 * signed with the signing password, the site's own replies, and the consent ledger.
 */
@RunWith(RobolectricTestRunner::class)
@Config(manifest = Config.NONE, sdk = [26, 28, 34], application = TestApp::class, qualifiers = "w411dp-h891dp-xxhdpi")
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class SiteFlowsTest {
    /** The site's reply, or what stopped the flow. */
    private fun awaitReply(a: SiteActivity) = waitFor("the site's reply") {
        listOf("site.accepted", "site.refused", "site.failed").any { find(a, it) != null }
    }

    private fun openLink(link: String): SiteActivity {
        val a = Robot.start(SiteActivity::class.java, Intent(Intent.ACTION_VIEW, Uri.parse(link)))
        waitFor("the consent screen") { find(a, "site.name") != null || find(a, "site.failed") != null }
        return a
    }

    @Test
    fun `a site's link and QR code, consent, the card, a signed order and the ledger`() = World().use { w ->
        val id = w.register(w.home())
        w.expectLinked(w.link(w.home(), id))
        BookingSiteProcess(w.dir, w.servers!!).use { site ->
            w.platform.siteCa = site.caPem
            val nfc = Robot.nfc()

            // The site's link on this phone: the site first, its address, what it asks for.
            val session = site.discount("tokyo-shin-osaka", caregiver = true, identity = true)
            val answer = openLink(site.session(session).getString("link"))
            assertEquals("Example Ticket Booking Site", text(answer, "site.name"))
            assertEquals(site.url.removePrefix("https://"), text(answer, "site.audience"))
            assertTrue(Robot.spoken(answer).any { it.contains("fare discount class") })
            tap(answer, "site.identity")
            tap(answer, "site.accept")
            typePin(answer, "1234")
            waitFor("the card prompt") { find(answer, "site.hold") != null }
            holdCard(nfc)
            awaitReply(answer)
            assertNotNull("the site accepted: ${Robot.spoken(answer)}", find(answer, "site.accepted"))
            val page = site.session(session)
            assertEquals("accepted", page.getString("decision"))
            assertEquals("山田 太郎", page.getString("identity_name"))

            // The same link again: the site already has its answer; its refusal is what the
            // holder reads, and the page keeps the first answer.
            val again = openLink(site.session(session).getString("link"))
            tap(again, "site.accept")
            awaitReply(again)
            assertNotNull("refused by the site: ${Robot.spoken(again)}", find(again, "site.refused") ?: find(again, "site.failed"))
            assertEquals("accepted", site.session(session).getString("decision"))

            // The order, in full, signed with the signing password; a wrong one is not retried.
            val order = site.order(session)
            val sign = openLink(site.session(order).getString("link"))
            assertNotNull(find(sign, "site.order"))
            assertEquals("Total ¥20,520", text(sign, "site.total"))
            tap(sign, "site.accept")
            Robot.type(sign, "site.password", "WRONG99")
            tap(sign, "site.password.next")
            holdCard(nfc)
            waitFor("the wrong password") { find(sign, "site.tries") != null }
            assertEquals("4 tries left", text(sign, "site.tries"))
            Robot.type(sign, "site.password", "TECHO2026")
            tap(sign, "site.password.next")
            holdCard(nfc)
            awaitReply(sign)
            assertNotNull(find(sign, "site.accepted"))
            assertEquals("山田 太郎", site.session(order).getString("signer"))

            // The site's QR code on another screen, read with the camera; no card needed.
            shadowOf(RuntimeEnvironment.getApplication()).grantPermissions(Manifest.permission.CAMERA)
            val qrSession = site.discount("tokyo-takasaki")
            val scan = launch<SiteActivity>()
            (find(scan, "site.preview") as TextureView).surfaceTextureListener!!
                .onSurfaceTextureAvailable(SurfaceTexture(0), 1080, 1920)
            w.platform.camera!!.feed(Robot.frameOf(Robot.qrPicture(site.session(qrSession).getString("link"))))
            waitFor("the consent screen") { find(scan, "site.name") != null || find(scan, "site.failed") != null }
            tap(scan, "site.accept")
            awaitReply(scan)
            assertNotNull(find(scan, "site.accepted"))

            // The consent ledger: the issuer's consent, then each site, newest first.
            val settings = launch<SettingsActivity>()
            tap(settings, "ledger.$id")
            val ledger = follow(settings, LedgerActivity::class.java)
            assertNotNull(find(ledger, "ledger.issuer"))
            val items = generateSequence(0) { it + 1 }
                .map { find(ledger, "ledger.site.$it.items") }
                .takeWhile { it != null }
                .map { (it as android.widget.TextView).text.toString() }
                .toList()
            // Newest first: the scanned code (no card), the signed order, …, the first answer
            // with the name and birth date from the card. The replay the site refused is there
            // too: the site received it.
            assertEquals("four answers reached the site: $items", 4, items.size)
            assertTrue(items.first().contains("fare discount class") && !items.first().contains("name and birth date"))
            assertTrue(items[1].contains("signed"))
            assertTrue(items.last().contains("name and birth date"))
            assertTrue(text(ledger, "ledger.site.2").startsWith("✕"))
        }
    }

    @Test @Config(sdk = [34], qualifiers = "ja-w411dp-h891dp-xxhdpi")
    fun japaneseScreens() = screens("ja")

    @Test @Config(sdk = [34], qualifiers = "en-w411dp-h891dp-xxhdpi")
    fun englishScreens() = screens("en")

    /**
     * The site screens and the ledger as pictures (`android/target/screenshots/<lang>-site-*.png`),
     * each passing the accessibility checks of the screenshot suite.
     */
    private fun screens(lang: String) = World().use { w ->
        val problems = mutableListOf<String>()
        fun shot(a: android.app.Activity, name: String) {
            Robot.save(Robot.screenshot(a), "$lang-site-$name")
            problems += Accessibility.problems(a).map { "$name: $it" }
        }
        val id = w.register(w.home())
        w.expectLinkedIn(w.link(w.home(), id))
        BookingSiteProcess(w.dir, w.servers!!).use { site ->
            w.platform.siteCa = site.caPem
            val nfc = Robot.nfc()
            val session = site.discount("tokyo-shin-osaka", caregiver = true, identity = true)
            val answer = openLink(site.session(session).getString("link"))
            shot(answer, "1-consent")
            tap(answer, "site.identity")
            tap(answer, "site.accept")
            shot(answer, "2-pin")
            typePin(answer, "1234")
            waitFor("the card prompt") { find(answer, "site.hold") != null }
            holdCard(nfc)
            awaitReply(answer)
            shot(answer, "3-accepted")
            val sign = openLink(site.session(site.order(session)).getString("link"))
            shot(sign, "4-order")
            tap(sign, "site.accept")
            shot(sign, "5-password")
            val settings = launch<SettingsActivity>()
            tap(settings, "ledger.$id")
            shot(follow(settings, LedgerActivity::class.java), "6-ledger")
        }
        assertEquals("accessibility problems:\n" + problems.joinToString("\n"), emptyList<String>(), problems)
    }
}
