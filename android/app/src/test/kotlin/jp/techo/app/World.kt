package jp.techo.app

import android.app.Activity
import android.content.Intent
import android.net.Uri
import java.io.ByteArrayInputStream
import java.io.File
import jp.techo.app.ui.CounterActivity
import jp.techo.app.ui.LinkActivity
import jp.techo.app.ui.MainActivity
import jp.techo.app.ui.RegisterActivity
import jp.techo.ffi.CardSim
import jp.techo.ffi.Servers
import jp.techo.ffi.fixture
import jp.techo.ffi.tempDir
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf

/** One test's loopback world: techo-server, 山田's software card, and the app's platform. */
class World(
    withServer: Boolean = true,
    serverArgs: List<String> = emptyList(),
    notificationsAllowed: Boolean = true,
) : AutoCloseable {
    val dir: File = tempDir()
    val servers: Servers? = if (withServer) Servers(dir, *serverArgs.toTypedArray()) else null
    val card = CardSim(dir, "yamada")
    val platform = TestPlatform()

    init {
        // The holder allowed notifications when the list first asked (Android 13+); the test
        // of the question itself starts without it.
        if (android.os.Build.VERSION.SDK_INT >= 33 && notificationsAllowed) {
            shadowOf(RuntimeEnvironment.getApplication()).grantPermissions(android.Manifest.permission.POST_NOTIFICATIONS)
        }
        Robot.nfcHardware()
        platform.card = card
        servers?.let { s ->
            val root = runBlocking { s.service().rootKey() }
            platform.config = ServerConfig(s.url, s.caPem, root)
        }
        TestApp.current = platform
    }

    override fun close() {
        card.close()
        servers?.close()
    }

    /** The list, after the app lock (answered by the platform). */
    fun home(): MainActivity {
        val main = Robot.launch<MainActivity>()
        Robot.waitFor("the handbook list") { Robot.find(main, "register") != null }
        return main
    }

    /** Registers 山田's handbook through the register screen, with its face photo. */
    fun register(from: MainActivity): String {
        Robot.tap(from, "register")
        val reg = Robot.follow(from, RegisterActivity::class.java)
        fill(reg)
        attachPhoto(reg)
        Robot.tap(reg, "register.submit")
        assertTrue("the register screen closes once the handbook is stored", reg.isFinishing)
        return Robot.app.wallet.handbooks(Robot.app.lang).single().id
    }

    fun fill(reg: Activity, number: String = "第12345号") {
        Robot.type(reg, "field.grade", "1")
        Robot.type(reg, "field.fare_class", "第1種")
        Robot.type(reg, "field.number", number)
        Robot.type(reg, "field.municipality_code", "131016")
        Robot.type(reg, "field.municipality_name", "東京都千代田区")
        Robot.type(reg, "field.issued", "2018-04-02")
        Robot.type(reg, "field.holder_name", "山田 太郎")
        Robot.type(reg, "field.holder_kana", "ヤマダ タロウ")
        Robot.type(reg, "field.holder_birth_date", "1979-07-20")
    }

    /** The photo picker returns 山田's photo. */
    fun attachPhoto(reg: Activity, bytes: ByteArray = fixture("handbooks/photos/yamada.png").readBytes()) {
        val uri = Uri.parse("content://media/picker/0/photo-${System.nanoTime()}")
        shadowOf(RuntimeEnvironment.getApplication().contentResolver).registerInputStream(uri, ByteArrayInputStream(bytes))
        Robot.tap(reg, "photo.pick")
        val asked = shadowOf(reg).nextStartedActivityForResult ?: error("the picker was not opened")
        shadowOf(reg).receiveResult(asked.intent, Activity.RESULT_OK, Intent().setData(uri))
        Robot.waitFor("the photo") { photoShown(reg) }
    }

    /** The register screen shows a photo. */
    fun photoShown(reg: Activity): Boolean {
        var shown = false
        fun walk(v: android.view.View) {
            if (v is android.widget.ImageView && v.isShown && v.drawable != null) shown = true
            if (v is android.view.ViewGroup) for (i in 0 until v.childCount) walk(v.getChildAt(i))
        }
        walk(reg.window.decorView)
        return shown
    }

    /** Links [id] through the link screen: purpose, PIN, the card held to the phone. */
    fun link(from: MainActivity, id: String, pin: String = "1234"): LinkActivity {
        val nfc = Robot.nfc()
        Robot.tap(from, "link.$id")
        val link = Robot.follow(from, LinkActivity::class.java)
        Robot.tap(link, "link.accept")
        Robot.typePin(link, pin)
        Robot.awaitCardPrompt(link)
        Robot.holdCard(nfc)
        Robot.waitFor("the linkage result") {
            Robot.find(link, "link.done") != null || Robot.find(link, "link.notice") != null ||
                Robot.find(link, "link.failed") != null
        }
        return link
    }

    /** The counter screen of the handbook chosen in the list, with its first frame drawn. */
    fun counter(from: MainActivity, id: String): CounterActivity {
        Robot.tap(from, "row.$id")
        val counter = Robot.follow(from, CounterActivity::class.java)
        Robot.waitFor("the first counter frame") { counter.shown != null }
        return counter
    }

    fun expectLinked(link: LinkActivity) {
        assertEquals("✔ Linked", Robot.text(link, "link.done"))
    }

    /** Linked, in whichever language the screen is in. */
    fun expectLinkedIn(link: LinkActivity) {
        assertTrue(Robot.text(link, "link.done") in listOf("✔ Linked", "✔ 連携済"))
    }
}

/** The museum's winter coupon, as an operator publishes it (valid for years: tests run any day). */
fun winterCoupon(): org.json.JSONObject = org.json.JSONObject()
    .put("id", "winter-2026")
    .put("title_ja", "冬の特別展 ご本人と付添1名 無料")
    .put("title_en", "Winter exhibition: holder and one companion free")
    .put("terms_ja", "1回限り。他の割引と併用できません。")
    .put("terms_en", "Once only; not with other discounts.")
    .put("valid_from", "2026-01-01")
    .put("valid_until", "2099-12-31")
    .put("per_holder", 1)
