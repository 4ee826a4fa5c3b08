package jp.techo.app

import android.app.Activity
import android.app.AlertDialog
import android.content.Intent
import android.net.Uri
import java.io.ByteArrayInputStream
import jp.techo.app.Robot.find
import jp.techo.app.Robot.follow
import jp.techo.app.Robot.launch
import jp.techo.app.Robot.tap
import jp.techo.app.Robot.text
import jp.techo.app.Robot.waitFor
import jp.techo.app.ui.PagesActivity
import jp.techo.app.ui.ProfileActivity
import jp.techo.app.ui.SettingsActivity
import jp.techo.ffi.fixture
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
import org.robolectric.shadows.ShadowAlertDialog
import uniffi.techo_ffi.SupportCode

/** The holder's own screens: handbook page images and the support profile editor. */
@RunWith(RobolectricTestRunner::class)
@Config(manifest = Config.NONE, sdk = [26, 28, 34], application = TestApp::class, qualifiers = "w411dp-h891dp-xxhdpi")
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class HolderScreensTest {
    private fun confirm() =
        (ShadowAlertDialog.getLatestDialog() as AlertDialog).getButton(AlertDialog.BUTTON_POSITIVE).performClick()

    @Test
    fun `page images added from the picker, enlarged with a tap, removed`() = World(withServer = false).use { w ->
        val id = w.register(w.home())
        val settings = launch<SettingsActivity>()
        tap(settings, "pages.$id")
        val pages = follow(settings, PagesActivity::class.java)
        assertNotNull(find(pages, "pages.none"))
        val uri = Uri.parse("content://media/picker/0/page-${System.nanoTime()}")
        shadowOf(RuntimeEnvironment.getApplication().contentResolver)
            .registerInputStream(uri, ByteArrayInputStream(fixture("handbooks/photos/yamada.png").readBytes()))
        tap(pages, "pages.add")
        val asked = shadowOf(pages).nextStartedActivityForResult ?: error("the picker was not opened")
        shadowOf(pages).receiveResult(asked.intent, Activity.RESULT_OK, Intent().setData(uri))
        waitFor("the page stored") { find(pages, "pages.message") != null }
        assertNotNull("stored and shown: ${Robot.spoken(pages)}", find(pages, "pages.image.0"))
        assertEquals(1u, Robot.app.wallet.pageCount(id))
        val small = Robot.view(pages, "pages.image.0").layoutParams.height
        tap(pages, "pages.image.0")
        assertTrue("enlarged with a tap", Robot.view(pages, "pages.image.0").layoutParams.height > small)
        tap(pages, "pages.remove.0")
        confirm()
        Robot.idle()
        assertNotNull(find(pages, "pages.none"))
        assertEquals(0u, Robot.app.wallet.pageCount(id))
    }

    @Test
    fun `the support profile, a powered chair needing its battery and size, then saved`() = World(withServer = false).use { w ->
        w.register(w.home())
        val settings = launch<SettingsActivity>()
        tap(settings, "profile")
        val profile = follow(settings, ProfileActivity::class.java)
        tap(profile, "profile.electric_wheelchair")
        tap(profile, "profile.boarding_ramp")
        tap(profile, "profile.boarding_ramp.qr")
        tap(profile, "profile.save")
        // Without its battery and size the chair is refused, named, and nothing is stored.
        assertTrue(text(profile, "profile.message").contains("watt_hours"))
        assertTrue(Robot.app.wallet.supportProfile().items.isEmpty())
        Robot.type(profile, "profile.electric_wheelchair.wh", "300")
        Robot.type(profile, "profile.electric_wheelchair.width", "65")
        Robot.type(profile, "profile.electric_wheelchair.length", "110")
        Robot.type(profile, "profile.electric_wheelchair.height", "95")
        Robot.type(profile, "profile.electric_wheelchair.weight", "80")
        tap(profile, "profile.save")
        assertEquals("Saved", text(profile, "profile.message"))
        val items = Robot.app.wallet.supportProfile().items.associateBy { it.code }
        assertEquals(300u, items.getValue(SupportCode.ELECTRIC_WHEELCHAIR).powered!!.wattHours)
        assertTrue(items.getValue(SupportCode.BOARDING_RAMP).onScreen)
        assertTrue("put in the QR code: unticked", !items.getValue(SupportCode.BOARDING_RAMP).inQr)
    }

    @Test
    fun `a damaged store is rebuilt from its second copy and the list says so once`() = World(withServer = false).use { w ->
        // A wallet with a handbook, closed; then its database files replaced by garbage.
        val walletDir = java.io.File(RuntimeEnvironment.getApplication().filesDir, "wallet")
        uniffi.techo_ffi.Wallet.open(walletDir.path, w.platform.dataKeys, w.platform.deviceKeys, null).use { wallet ->
            wallet.register(jp.techo.ffi.yamadaForm(), fixture("handbooks/photos/yamada.png").readBytes(), uniffi.techo_ffi.Language.ENGLISH)
        }
        java.io.File(walletDir, "store").listFiles()!!.filter { it.isFile }.forEach { it.writeBytes(ByteArray(4096) { 0xA5.toByte() }) }
        val main = w.home()
        assertTrue(text(main, "store.recovered").contains("rebuilt from its second copy"))
        assertEquals("the handbook came back", 1, Robot.app.wallet.handbooks(uniffi.techo_ffi.Language.ENGLISH).size)
        tap(main, "store.recovered.ok")
        assertEquals(null, find(main, "store.recovered"))
    }
}
