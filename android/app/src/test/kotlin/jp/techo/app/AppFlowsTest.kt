package jp.techo.app

import android.Manifest
import android.app.AlertDialog
import android.graphics.SurfaceTexture
import android.view.TextureView
import android.widget.RadioButton
import jp.techo.app.Robot.find
import jp.techo.app.Robot.follow
import jp.techo.app.Robot.holdCard
import jp.techo.app.Robot.launch
import jp.techo.app.Robot.screenshot
import jp.techo.app.Robot.shown
import jp.techo.app.Robot.tap
import jp.techo.app.Robot.text
import jp.techo.app.Robot.type
import jp.techo.app.Robot.typePin
import jp.techo.app.Robot.waitFor
import jp.techo.app.ui.KeyGoneActivity
import jp.techo.app.ui.LinkActivity
import jp.techo.app.ui.MainActivity
import jp.techo.app.ui.RegisterActivity
import jp.techo.app.ui.SettingsActivity
import jp.techo.app.ui.StaffActivity
import jp.techo.ffi.MemoryDataKeys
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
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
import org.robolectric.shadows.ShadowAlertDialog
import uniffi.techo_ffi.CodeStatus
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.Wallet

/**
 * The app under Robolectric on Android 8.0, 9 and 14, driven by taps as a holder and staff
 * would, against the shipping library, techo-server on loopback and the software card.
 */
@RunWith(RobolectricTestRunner::class)
@Config(manifest = Config.NONE, sdk = [26, 28, 34], application = TestApp::class, qualifiers = "w411dp-h891dp-xxhdpi")
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class AppFlowsTest {
    @Test
    fun `register with the card and a photo, link, show the code, staff mode accepts it`() = World().use { w ->
        val main = w.home()
        assertEquals("the app lock asked once", 1, w.platform.prompts)

        // Register: a wrong field is named under it, and what was typed stays.
        tap(main, "register")
        val reg = follow(main, RegisterActivity::class.java)
        w.fill(reg, number = "")
        type(reg, "field.holder_name", "")
        type(reg, "field.holder_birth_date", "")
        tap(reg, "register.submit")
        assertTrue(shown(reg, "error.number"))
        assertEquals("131016", text(reg, "field.municipality_code"))
        assertFalse(reg.isFinishing)
        type(reg, "field.number", "第12345号")
        // Name and birth date from the card: the PIN on the keypad, then the card.
        val nfc = Robot.nfc()
        typePin(reg, "1234")
        holdCard(nfc)
        waitFor("the card's facts") { text(reg, "field.holder_name") == "山田 太郎" }
        assertEquals("1979-07-20", text(reg, "field.holder_birth_date"))
        w.attachPhoto(reg)
        tap(reg, "register.submit")
        assertTrue(reg.isFinishing)
        val id = Robot.app.wallet.handbooks(Language.ENGLISH).single().id

        // Link through the flow: purpose, PIN, the card.
        val home = w.home()
        val link = w.link(home, id)
        w.expectLinked(link)

        // The counter: linked, a code that decodes from the screen and verifies. The test runs
        // on the real clock, so it may cross a 30-second step (the code's lifetime) meanwhile.
        val firstStep = System.currentTimeMillis() / 30_000
        val list = w.home()
        val counter = w.counter(list, id)
        val frame = counter.shown!!
        assertEquals(CodeStatus.SHOWN, frame.status)
        assertTrue(text(counter, "counter.item.linkage").contains("Linked"))
        val shot = screenshot(counter)
        Robot.save(shot, "flow-counter-${android.os.Build.VERSION.SDK_INT}")
        val scanned = Robot.scanCounter(counter, shot)
        assertNotNull("the code decodes from the screen", scanned)
        val hex = { b: ByteArray -> b.take(12).joinToString("") { "%02x".format(it) } + "… (${b.size})" }
        assertTrue(
            "scanned ${hex(scanned!!)}, shown ${hex(frame.code!!.binary)}",
            frame.code!!.binary.contentEquals(scanned) || frame.code!!.text.toByteArray().contentEquals(scanned),
        )
        val service = w.servers!!.service()
        val verifier = runBlocking { service.fetchVerifier(w.platform.config!!.rootKey) }
        val verdict = verifier.verify(scanned, System.currentTimeMillis() / 1000, Language.ENGLISH)
        assertEquals("Linked", verdict.linkage)
        // One signature per step shown, never a loop of keystore prompts.
        val steps = System.currentTimeMillis() / 30_000 - firstStep + 1
        val signatures = w.platform.deviceKeys.signatures
        assertTrue("$signatures signatures over $steps step(s)", signatures.toLong() in 1L..steps)

        // Staff mode on another phone: the camera sees the counter screen.
        shadowOf(RuntimeEnvironment.getApplication()).grantPermissions(Manifest.permission.CAMERA)
        val staff = launch<StaffActivity>()
        waitFor("the lists") { find(staff, "staff.ready") != null || find(staff, "staff.error") != null }
        assertNotNull("lists checked against the shipped root key", find(staff, "staff.ready"))
        (find(staff, "staff.preview") as TextureView).surfaceTextureListener!!
            .onSurfaceTextureAvailable(SurfaceTexture(0), 1080, 1920)
        Robot.pointCamera(staff, w.platform.camera!!, Robot.codeArea(counter, shot))
        Robot.expectResult(staff, "staff.valid")
        assertEquals("◯ VALID HANDBOOK", text(staff, "staff.valid"))
        // The camera is closed when staff mode leaves the screen, and opened again on return.
        val first = w.platform.camera!!
        Robot.pause(staff)
        assertFalse("closed in onPause", first.running)
        Robot.resume(staff)
        assertTrue("opened again in onResume", w.platform.camera!!.running)
        // The next code: the verdict screen waits for "scan the next".
        tap(staff, "staff.next")
        assertNotNull(find(staff, "staff.ready"))
        assertTrue("the lists are saved for next time", Robot.app.verifierListsFile.exists())

        // The gate loses its connection: staff mode opens on the saved lists, says so, and
        // still checks the code.
        Robot.pause(staff)
        w.servers.close()
        val offline = launch<StaffActivity>()
        waitFor("the saved lists") { find(offline, "staff.ready") != null || find(offline, "staff.error") != null }
        assertNotNull("offline on the saved lists", find(offline, "staff.offline"))
        (find(offline, "staff.preview") as TextureView).surfaceTextureListener!!
            .onSurfaceTextureAvailable(SurfaceTexture(0), 1080, 1920)
        Robot.pointCamera(offline, w.platform.camera!!, Robot.codeArea(counter, shot))
        Robot.expectResult(offline, "staff.valid")
    }

    @Test
    fun `staff pick the operator, answer the trip and read the operator's verdict first`() = World().use { w ->
        val main = w.home()
        val id = w.register(main)
        w.expectLinked(w.link(w.home(), id))
        val counter = w.counter(w.home(), id)
        val code = Robot.codeArea(counter, screenshot(counter))
        shadowOf(RuntimeEnvironment.getApplication()).grantPermissions(Manifest.permission.CAMERA)

        val staff = launch<StaffActivity>()
        waitFor("the lists") { find(staff, "staff.ready") != null }
        assertEquals("Operator: none (validity only)", text(staff, "staff.operator"))
        (find(staff, "staff.preview") as TextureView).surfaceTextureListener!!
            .onSurfaceTextureAvailable(SurfaceTexture(0), 1080, 1920)

        // The city bus (linked screens only): accepted, holder and caregiver at the discount.
        tap(staff, "staff.change_operator")
        assertNotNull("the directory lists the fixture operators", find(staff, "operator.example-museum"))
        tap(staff, "operator.example-city-bus")
        assertEquals("Operator: Example City Bus", text(staff, "staff.operator"))
        Robot.pointCamera(staff, w.platform.camera!!, code)
        Robot.expectResult(staff, "staff.accepted")
        assertEquals("◯ ACCEPTED HERE", text(staff, "staff.accepted"))
        assertTrue(Robot.spoken(staff).contains("holder + 1 caregiver at the discount"))
        tap(staff, "staff.next")

        // Rail, the holder alone on a 50 km trip: 第1種 alone is discounted only over 100 km.
        tap(staff, "staff.change_operator")
        tap(staff, "operator.example-rail")
        Robot.type(staff, "staff.distance", "50")
        tap(staff, "staff.caregiver.no")
        Robot.pointCamera(staff, w.platform.camera!!, code)
        Robot.expectResult(staff, "staff.not_accepted")
        assertTrue(Robot.spoken(staff).any { it.contains("only over 100 km (this trip: 50 km)") })
        tap(staff, "staff.next")
        // With the caregiver travelling the same trip is accepted, and says why.
        tap(staff, "staff.caregiver.yes")
        assertEquals(
            "one answer checked",
            listOf(false, true, false),
            listOf("unknown", "yes", "no").map { (find(staff, "staff.caregiver.$it") as RadioButton).isChecked },
        )
        Robot.pointCamera(staff, w.platform.camera!!, code)
        Robot.expectResult(staff, "staff.accepted")

        // The operator is remembered, and the saved directory serves an offline start.
        Robot.pause(staff)
        w.servers!!.close()
        val offline = launch<StaffActivity>()
        waitFor("the saved lists") { find(offline, "staff.ready") != null || find(offline, "staff.error") != null }
        assertNotNull(find(offline, "staff.offline"))
        assertEquals("Operator: Example Rail (JR-style rules)", text(offline, "staff.operator"))
    }

    @Test
    fun `a wrong PIN costs one try, says how many are left, and the app never retries it`() = World().use { w ->
        val main = w.home()
        val id = w.register(main)
        val link = w.link(w.home(), id, pin = "9999")
        assertEquals("2 tries left", text(link, "link.tries"))
        assertTrue(text(link, "link.notice").contains("2 tries left"))
        assertEquals(2, w.card.authTriesLeft())
        assertEquals("○○○○", text(link, "pin.dots"))
    }

    @Test
    fun `NFC switched off is said, and reader mode comes back after the screen returns`() = World().use { w ->
        val id = w.register(w.home())
        val nfc = Robot.nfc(enabled = false)
        val home = w.home()
        tap(home, "link.$id")
        val link = follow(home, LinkActivity::class.java)
        tap(link, "link.accept")
        typePin(link, "1234")
        Robot.awaitCardPrompt(link)
        assertTrue(text(link, "link.nfc").contains("NFC is off"))
        assertNotNull(find(link, "link.nfc-settings"))
        assertFalse(nfc.isInReaderMode)
        // The holder opens the settings, switches NFC on and comes back.
        Robot.pause(link)
        nfc.setEnabled(true)
        Robot.resume(link)
        assertTrue("reader mode is on again", nfc.isInReaderMode)
        holdCard(nfc)
        waitFor("linked") { find(link, "link.done") != null }
    }

    @Test
    fun `the app lock - a cancel is not asked again until the holder taps, an unlock opens the list`() = World().use { w ->
        w.platform.unlockAnswer = UnlockResult.Cancelled("cancelled")
        val main = launch<MainActivity>()
        Robot.idle()
        assertNotNull(find(main, "unlock"))
        repeat(10) { Robot.idle() }
        assertEquals("no prompt loop", 1, w.platform.prompts)
        w.platform.unlockAnswer = UnlockResult.Unlocked
        tap(main, "unlock")
        waitFor("the list") { find(main, "register") != null }
        assertEquals(2, w.platform.prompts)
    }

    @Test
    fun `a phone without a screen lock is told to set one, and nothing is shown`() = World(withServer = false).use { w ->
        w.platform.unlockAnswer = UnlockResult.NotPossible("Set a screen lock (PIN, pattern or password) first")
        val locked = launch<MainActivity>()
        Robot.idle()
        assertTrue(Robot.spoken(locked).any { s -> s.contains("screen lock") })
        assertNull(find(locked, "register"))
    }

    @Test
    fun `the counter asks for the unlock once the Keystore wants it, and presents after it`() = World().use { w ->
        val id = w.register(w.home())
        w.expectLinked(w.link(w.home(), id))
        w.platform.deviceKeys.locked = true
        w.platform.unlockAnswer = null
        val counter = w.counter(w.home(), id)
        waitFor("the lock prompt") { w.platform.prompts >= 2 }
        repeat(5) { Robot.idle() }
        assertFalse("no code while locked", shown(counter, "counter.qr"))
        assertTrue(shown(counter, "counter.message"))
        w.platform.answer(UnlockResult.Unlocked)
        waitFor("the code after the unlock") { counter.shown?.status == CodeStatus.SHOWN && shown(counter, "counter.qr") }
        assertEquals(2, w.platform.prompts)
        assertNotNull(Robot.scanCounter(counter, screenshot(counter)))
    }

    @Test
    fun `settings withdraw consent and remove the handbook`() = World().use { w ->
        val id = w.register(w.home())
        w.link(w.home(), id)
        val settings = launch<SettingsActivity>()
        tap(settings, "unlink.$id")
        (ShadowAlertDialog.getLatestDialog() as AlertDialog).getButton(AlertDialog.BUTTON_POSITIVE).performClick()
        waitFor("unlinked") { find(settings, "message") != null }
        assertEquals("Not linked", text(settings, "message"))
        tap(settings, "remove.$id")
        (ShadowAlertDialog.getLatestDialog() as AlertDialog).getButton(AlertDialog.BUTTON_POSITIVE).performClick()
        Robot.idle()
        assertTrue(Robot.app.wallet.handbooks(Language.ENGLISH).isEmpty())
    }

    @Test
    fun `the face photo from the camera app is kept, scaled down, through the app's own provider`() = World(withServer = false).use { w ->
        org.robolectric.Robolectric.setupContentProvider(jp.techo.app.platform.CaptureProvider::class.java, "jp.techo.app.photos")
        val home = w.home()
        tap(home, "register")
        val reg = follow(home, RegisterActivity::class.java)
        w.fill(reg)
        tap(reg, "photo.camera")
        val asked = shadowOf(reg).nextStartedActivityForResult
        assertEquals(android.provider.MediaStore.ACTION_IMAGE_CAPTURE, asked.intent.action)
        @Suppress("DEPRECATION") // the typed overload is API 33+, and this runs on 26 too
        val target = asked.intent.getParcelableExtra<android.net.Uri>(android.provider.MediaStore.EXTRA_OUTPUT)!!
        // The camera app writes a big photo where it was told to.
        val big = android.graphics.Bitmap.createBitmap(3000, 4000, android.graphics.Bitmap.Config.ARGB_8888)
        big.eraseColor(android.graphics.Color.rgb(0xC8, 0xB4, 0xA0))
        RuntimeEnvironment.getApplication().contentResolver.openOutputStream(target)!!.use {
            big.compress(android.graphics.Bitmap.CompressFormat.JPEG, 95, it)
        }
        shadowOf(reg).receiveResult(asked.intent, android.app.Activity.RESULT_OK, null)
        waitFor("the photo") { w.photoShown(reg) }
        tap(reg, "register.submit")
        assertTrue(reg.isFinishing)
        val id = Robot.app.wallet.handbooks(Language.ENGLISH).single().id
        val stored = Robot.app.wallet.photo(id)!!
        val bounds = android.graphics.BitmapFactory.Options().apply { inJustDecodeBounds = true }
        android.graphics.BitmapFactory.decodeByteArray(stored, 0, stored.size, bounds)
        assertTrue("scaled to at most 1600 px: ${bounds.outWidth}×${bounds.outHeight}", maxOf(bounds.outWidth, bounds.outHeight) <= 1600)
    }

    @Test
    fun `a handbook without a face photo is kept and says why it cannot be linked`() = World().use { w ->
        val home = w.home()
        tap(home, "register")
        val reg = follow(home, RegisterActivity::class.java)
        w.fill(reg)
        tap(reg, "register.submit")
        val id = Robot.app.wallet.handbooks(Language.ENGLISH).single().id
        val list = w.home()
        tap(list, "link.$id")
        val link = follow(list, LinkActivity::class.java)
        assertTrue(text(link, "link.failed").contains("face photo"))
        assertNull(find(link, "link.retry"))
    }

    @Test
    fun `a build without a server says so instead of crashing`() = World(withServer = false).use { w ->
        val id = w.register(w.home())
        val list = w.home()
        tap(list, "link.$id")
        val link = follow(list, LinkActivity::class.java)
        assertTrue(Robot.spoken(link).any { it.contains("no server") })
        val staff = launch<StaffActivity>()
        waitFor("the refusal") { find(staff, "staff.error") != null }
    }

    @Test
    fun `a restored phone without its Keystore key offers a fresh start instead of crashing`() = World(withServer = false).use { w ->
        // The files came from another phone: a store this phone's keys never opened.
        val other = Wallet.open(Robot.app.walletDir.path, MemoryDataKeys(), null, null)
        other.close()
        val main = launch<MainActivity>()
        val gone = follow(main, KeyGoneActivity::class.java)
        tap(gone, "reset")
        val fresh = follow(gone, MainActivity::class.java)
        waitFor("an empty list") { find(fresh, "register") != null }
        assertTrue(Robot.app.wallet.handbooks(Language.ENGLISH).isEmpty())
    }

    @Test
    fun `the consent's end is announced on the list and as a notification, once, and the next run is scheduled`() =
        // The portal grants 20-day consents: the warning is due as soon as the linkage is done.
        World(serverArgs = listOf("--consent-days", "20")).use { w ->
            val app = RuntimeEnvironment.getApplication()
            val id = w.register(w.home())
            w.expectLinked(w.link(w.home(), id))
            val home = w.home()
            val notifications = shadowOf(app.getSystemService(android.app.NotificationManager::class.java))
            waitFor("the notification") { notifications.allNotifications.isNotEmpty() }
            val posted = notifications.allNotifications.single()
            assertEquals("Your card will be needed soon", shadowOf(posted).contentTitle)
            assertTrue(shadowOf(posted).contentText.toString().contains("ends in 20 days"))
            // The list says it too, under the handbook.
            waitFor("the list's notice") { text(home, "row.$id").contains("link again with your My Number card") }
            // The job is scheduled for the next run, within a day.
            val scheduler = app.getSystemService(android.app.job.JobScheduler::class.java)
            val job = scheduler.getPendingJob(jp.techo.app.background.LinkageJob.JOB_ID)!!
            assertTrue(job.minLatencyMillis in 1..24 * 3600 * 1000L)
            assertTrue(job.isPersisted)
            // Warned once: the next run posts nothing new.
            val again = jp.techo.app.background.KeepLinked(Robot.app).run()!!
            assertTrue(again.notices.isEmpty())
            assertEquals(1, notifications.allNotifications.size)
        }

    @Test
    fun `Android 13 and later ask once to notify, when there is a linkage to tell about`() =
        World(notificationsAllowed = false).use { w ->
            val id = w.register(w.home())
            val before = w.home()
            repeat(5) { Robot.idle() }
            assertNull("nothing to tell about yet", shadowOf(before).lastRequestedPermission)
            w.expectLinked(w.link(before, id))
            val after = w.home()
            if (android.os.Build.VERSION.SDK_INT >= 33) {
                waitFor("the question") { shadowOf(after).lastRequestedPermission != null }
                assertEquals(
                    listOf(Manifest.permission.POST_NOTIFICATIONS),
                    shadowOf(after).lastRequestedPermission.requestedPermissions.toList(),
                )
                val again = w.home()
                repeat(5) { Robot.idle() }
                assertNull("asked once", shadowOf(again).lastRequestedPermission)
            } else {
                repeat(5) { Robot.idle() }
                assertNull(shadowOf(after).lastRequestedPermission)
            }
        }
}
