package jp.techo.app

import android.Manifest
import android.graphics.SurfaceTexture
import android.view.TextureView
import jp.techo.app.Robot.find
import jp.techo.app.Robot.follow
import jp.techo.app.Robot.launch
import jp.techo.app.Robot.screenshot
import jp.techo.app.Robot.tap
import jp.techo.app.Robot.text
import jp.techo.app.Robot.waitFor
import jp.techo.app.ui.CounterActivity
import jp.techo.app.ui.CouponsActivity
import jp.techo.app.ui.PlacesActivity
import jp.techo.app.ui.StaffActivity
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode

/**
 * Places and coupons on the phone: the operator directory synced from techo-server (the fixture
 * policies), filtered by category and area with what this handbook gets; a coupon the museum
 * published, listed with its terms, presented on the counter screen, and seen by the museum's
 * staff mode.
 */
@RunWith(RobolectricTestRunner::class)
@Config(manifest = Config.NONE, sdk = [26, 28, 34], application = TestApp::class, qualifiers = "w411dp-h891dp-xxhdpi")
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class PlacesFlowsTest {
    @Test
    fun `places from the signed directory, a coupon with its terms, on the counter and at the museum`() = World().use { w ->
        val id = w.register(w.home())
        w.expectLinked(w.link(w.home(), id))
        w.servers!!.publishCoupon("example-museum", winterCoupon())

        val main = w.home()
        tap(main, "places")
        val places = follow(main, PlacesActivity::class.java)
        waitFor("the directory sync") { find(places, "places.sync") != null }
        assertTrue(text(places, "place.example-museum.verdict").contains("ACCEPTED HERE"))
        // The city bus takes linked screens only: this handbook is linked, so it is listed.
        assertNotNull(find(places, "place.example-city-bus"))
        tap(places, "places.category.bus")
        assertNotNull(find(places, "place.example-city-bus"))
        assertNull(find(places, "place.example-museum"))
        tap(places, "places.category.all")
        Robot.type(places, "places.area", "神奈川")
        tap(places, "places.area.apply")
        assertNotNull("the ferry is in 神奈川県", find(places, "place.example-ferry"))
        assertNull("the museum is in 東京都", find(places, "place.example-museum"))
        assertNotNull("nationwide operators always match", find(places, "place.example-rail"))

        val home = w.home()
        tap(home, "coupons")
        val coupons = follow(home, CouponsActivity::class.java)
        assertEquals("Winter exhibition: holder and one companion free", text(coupons, "coupon.example-museum.winter-2026"))
        assertNotNull("the terms every coupon shares", find(coupons, "coupons.terms"))
        tap(coupons, "coupon.use.example-museum.winter-2026")
        val counter = follow(coupons, CounterActivity::class.java)
        waitFor("the first counter frame") { counter.shown?.code != null }
        assertEquals("Coupon: Winter exhibition: holder and one companion free ／ Example Art Museum", text(counter, "counter.coupon"))
        val code = Robot.codeArea(counter, screenshot(counter))

        // The museum's staff mode reads the coupon in the code.
        shadowOf(RuntimeEnvironment.getApplication()).grantPermissions(Manifest.permission.CAMERA)
        val staff = launch<StaffActivity>()
        waitFor("the lists") { find(staff, "staff.ready") != null }
        (find(staff, "staff.preview") as TextureView).surfaceTextureListener!!
            .onSurfaceTextureAvailable(SurfaceTexture(0), 1080, 1920)
        tap(staff, "staff.change_operator")
        tap(staff, "operator.example-museum")
        Robot.type(staff, "staff.token", w.servers.operatorToken("example-museum"))
        tap(staff, "staff.token.save")
        Robot.pointCamera(staff, w.platform.camera!!, code)
        Robot.expectResult(staff, "staff.accepted")
        assertTrue(Robot.spoken(staff).contains("Coupon: winter-2026"))

        // Redeemed with one tap: queued, sent with the museum's token, counted by the server.
        tap(staff, "staff.redeem")
        assertEquals("use recorded (waiting to be sent)", text(staff, "staff.redeemed"))
        waitFor("the server's answer") { find(staff, "staff.sent") != null }
        assertEquals("recorded", text(staff, "staff.sent"))
        // The same code again: the server never counts it twice.
        tap(staff, "staff.next")
        Robot.pointCamera(staff, w.platform.camera!!, code)
        Robot.expectResult(staff, "staff.accepted")
        tap(staff, "staff.redeem")
        waitFor("the server's answer") { find(staff, "staff.sent") != null }
        assertEquals("this code was already counted (never twice)", text(staff, "staff.sent"))

        // Back on the holder's phone: the coupon (once per holder) shows as used, not offered.
        val later = launch<CouponsActivity>()
        waitFor("the uses from the server") { find(later, "coupon.used.example-museum.winter-2026") != null }
        assertEquals("used 1/1", text(later, "coupon.used.example-museum.winter-2026"))
        assertNull(find(later, "coupon.use.example-museum.winter-2026"))

        // Offline: the list kept on the phone, and the screen says so.
        w.servers.close()
        val offline = launch<PlacesActivity>()
        waitFor("the failed sync") { find(offline, "places.sync") != null }
        assertTrue(text(offline, "places.sync").startsWith("Offline: showing the list kept on this phone"))
        assertNotNull(find(offline, "place.example-museum"))
    }
}
