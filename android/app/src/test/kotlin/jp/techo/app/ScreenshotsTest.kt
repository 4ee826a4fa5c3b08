package jp.techo.app

import android.Manifest
import android.app.Activity
import android.graphics.SurfaceTexture
import android.view.TextureView
import jp.techo.app.Robot.find
import jp.techo.app.Robot.follow
import jp.techo.app.Robot.holdCard
import jp.techo.app.Robot.launch
import jp.techo.app.Robot.screenshot
import jp.techo.app.Robot.tap
import jp.techo.app.Robot.typePin
import jp.techo.app.Robot.waitFor
import jp.techo.app.ui.KeyGoneActivity
import jp.techo.app.ui.LinkActivity
import jp.techo.app.ui.MainActivity
import jp.techo.app.ui.RegisterActivity
import jp.techo.app.ui.SettingsActivity
import jp.techo.app.ui.StaffActivity
import jp.techo.app.ui.PlacesActivity
import jp.techo.app.ui.CouponsActivity
import jp.techo.app.ui.ProfileActivity
import jp.techo.app.ui.PagesActivity
import jp.techo.app.ui.LedgerActivity
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
import uniffi.techo_ffi.CodeStatus
import uniffi.techo_ffi.SupportCode
import uniffi.techo_ffi.SupportItem
import uniffi.techo_ffi.SupportProfile

/**
 * Every screen, drawn with native graphics, in Japanese and English at the default text size
 * and at double size (large text is common among this app's users), written to
 * `android/target/screenshots/<lang>-<scale>-<screen>.png`. Each screen also passes the
 * accessibility checks, and the counter's code must decode from its picture at both sizes.
 */
@RunWith(RobolectricTestRunner::class)
@Config(manifest = Config.NONE, sdk = [34], application = TestApp::class)
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class ScreenshotsTest {
    @Test @Config(qualifiers = "ja-w411dp-h891dp-xxhdpi")
    fun japaneseDefaultSize() = walk("ja", 1.0f)

    @Test @Config(qualifiers = "ja-w411dp-h891dp-xxhdpi")
    fun japaneseLargeText() = walk("ja", 2.0f)

    @Test @Config(qualifiers = "en-w411dp-h891dp-xxhdpi")
    fun englishDefaultSize() = walk("en", 1.0f)

    @Test @Config(qualifiers = "en-w411dp-h891dp-xxhdpi")
    fun englishLargeText() = walk("en", 2.0f)

    private fun walk(lang: String, scale: Float) = World().use { w ->
        RuntimeEnvironment.setFontScale(scale)
        val prefix = "$lang-${if (scale == 1.0f) "1.0" else "2.0"}"
        val problems = mutableListOf<String>()
        fun shot(a: Activity, name: String) {
            Robot.save(screenshot(a), "$prefix-$name")
            problems += Accessibility.problems(a).map { "$name: $it" }
        }

        w.platform.unlockAnswer = null
        val locked = launch<MainActivity>()
        shot(locked, "01-locked")
        w.platform.answer(UnlockResult.Unlocked)
        waitFor("the list") { find(locked, "register") != null }
        shot(locked, "02-list-empty")

        tap(locked, "register")
        val reg = follow(locked, RegisterActivity::class.java)
        shot(reg, "03-register")
        w.fill(reg, number = "")
        tap(reg, "register.submit")
        shot(reg, "04-register-errors")
        Robot.type(reg, "field.number", "第12345号")
        w.attachPhoto(reg)
        shot(reg, "05-register-photo")
        tap(reg, "register.submit")
        val id = Robot.app.wallet.handbooks(Robot.app.lang).single().id

        val list = w.home()
        shot(list, "06-list")
        val nfc = Robot.nfc()
        tap(list, "link.$id")
        val link = follow(list, LinkActivity::class.java)
        shot(link, "07-link-purpose")
        tap(link, "link.accept")
        typePin(link, "12")
        shot(link, "08-link-pin")
        typePin(link, "34")
        Robot.awaitCardPrompt(link)
        shot(link, "09-link-hold-card")
        holdCard(nfc)
        waitFor("linked") { find(link, "link.done") != null }
        shot(link, "10-link-done")

        Robot.app.wallet.setSupportProfile(
            SupportProfile(
                listOf(
                    SupportItem(SupportCode.MANUAL_WHEELCHAIR, null, true, true),
                    SupportItem(SupportCode.BOARDING_RAMP, null, true, true),
                ),
                null,
            ),
        )
        val counterList = w.home()
        val counter = w.counter(counterList, id)
        assertEquals(CodeStatus.SHOWN, counter.shown!!.status)
        val picture = screenshot(counter)
        shot(counter, "11-counter")
        val scanned = Robot.scanCounter(counter, picture)
        assertNotNull("the code decodes from the $prefix screenshot", scanned)
        val verifier = kotlinx.coroutines.runBlocking { w.servers!!.service().fetchVerifier(w.platform.config!!.rootKey) }
        val check = verifier.check(scanned!!, System.currentTimeMillis() / 1000, Robot.app.lang)
        assertTrue("the scanned code verifies: ${check.lines}", check.valid)
        assertEquals(2, check.verdict!!.selfDeclared.size)
        // TalkBack reads the counter in the order staff check it: kind, fare class, linkage.
        val said = Robot.spoken(counter)
        val kind = said.indexOfFirst { it == counter.shown!!.view.items[0].spoken }
        val fare = said.indexOfFirst { it == counter.shown!!.view.items[1].spoken }
        val linkage = said.indexOfFirst { it == counter.shown!!.view.items[2].spoken }
        assertTrue("spoken order $said", kind in 0 until fare && fare < linkage)
        Robot.tap(counter, "counter.photo")
        waitFor("the photo enlarged") { counter.shown!!.view.photoEnlarged }
        shot(counter, "12-counter-photo")

        shadowOf(RuntimeEnvironment.getApplication()).grantPermissions(Manifest.permission.CAMERA)
        val staff = launch<StaffActivity>()
        waitFor("the lists") { find(staff, "staff.ready") != null }
        (find(staff, "staff.preview") as TextureView).surfaceTextureListener!!
            .onSurfaceTextureAvailable(SurfaceTexture(0), 1080, 1920)
        // The code as a staff camera frames it, at a few distances (Robot.pointCamera).
        val code = Robot.codeArea(counter, picture)
        Robot.pointCamera(staff, w.platform.camera!!, code)
        Robot.expectResult(staff, "staff.valid")
        shot(staff, "13-staff-valid")
        tap(staff, "staff.next")
        tap(staff, "staff.change_operator")
        shot(staff, "14-staff-operators")
        tap(staff, "operator.example-rail")
        Robot.type(staff, "staff.distance", "50")
        tap(staff, "staff.caregiver.yes")
        shot(staff, "15-staff-trip")
        Robot.pointCamera(staff, w.platform.camera!!, code)
        Robot.expectResult(staff, "staff.accepted")
        shot(staff, "16-staff-verdict")

        w.servers!!.publishCoupon("example-museum", winterCoupon())
        val places = launch<PlacesActivity>()
        waitFor("the directory") { find(places, "places.sync") != null }
        shot(places, "17-places")
        shot(launch<CouponsActivity>(), "18-coupons")
        val settings = launch<SettingsActivity>()
        shot(settings, "19-settings")
        tap(settings, "profile")
        val profile = follow(settings, ProfileActivity::class.java)
        tap(profile, "profile.electric_wheelchair")
        shot(profile, "20-profile")
        tap(settings, "pages.$id")
        shot(follow(settings, PagesActivity::class.java), "21-pages")
        tap(settings, "ledger.$id")
        shot(follow(settings, LedgerActivity::class.java), "22-ledger")
        shot(launch<KeyGoneActivity>(), "23-key-gone")
        assertEquals("accessibility problems:\n" + problems.joinToString("\n"), emptyList<String>(), problems)
    }
}
