package jp.techo.app

import android.app.Activity
import android.nfc.Tag
import android.os.Handler
import android.os.Looper
import android.view.TextureView
import jp.techo.app.platform.QrCamera
import jp.techo.ffi.CardSim
import jp.techo.ffi.JcaDeviceKeyStore
import jp.techo.ffi.MemoryDataKeys
import uniffi.techo_ffi.CardTransport
import uniffi.techo_ffi.DataKeyException
import uniffi.techo_ffi.DataKeyProvider

/**
 * The phone for the Robolectric suite: Robolectric has no Android Keystore and no way to answer
 * a BiometricPrompt, no camera and no card, so the app's own [Platform] seam is filled here. The
 * keys are real P-256 keys (java.security), the card is the software card in its own process
 * reached over a socket, the server is techo-server on loopback.
 */
class TestPlatform : Platform {
    /** The store's data key; [lose] makes it unreadable, as on a restored phone. */
    class Keys : DataKeyProvider {
        private val inner = MemoryDataKeys()
        @Volatile var lost = false

        override fun dataKey(create: Boolean): ByteArray {
            if (lost) throw DataKeyException.Platform("the Keystore has no key techo-data-key-wrap")
            return inner.dataKey(create)
        }
    }

    override val dataKeys = Keys()
    override val deviceKeys = JcaDeviceKeyStore()

    var config: ServerConfig? = null
    override fun serverConfig(): ServerConfig = config ?: throw ConfigMissing("this build has no techo-server.json")

    /** What the next unlock prompts answer (`null`: the prompt stays up until [answer]). */
    @Volatile var unlockAnswer: UnlockResult? = UnlockResult.Unlocked
    @Volatile var prompts = 0
    private var open: ((UnlockResult) -> Unit)? = null

    override fun unlock(activity: Activity, title: String, subtitle: String, done: (UnlockResult) -> Unit) {
        prompts++
        open = done
        unlockAnswer?.let { answer(it) }
    }

    /** The holder answers the prompt on screen. */
    fun answer(result: UnlockResult) {
        val done = open ?: error("no prompt is showing")
        open = null
        // As on a phone: passing the prompt is what opens the Keystore's window for the keys.
        if (result == UnlockResult.Unlocked) deviceKeys.locked = false
        // As the real prompt: the answer comes later, on the main thread.
        Handler(Looper.getMainLooper()).post { done(result) }
    }

    /** The card in the field while a tag is dispatched. */
    var card: CardSim? = null
    override fun cardTransport(tag: Tag): CardTransport? = card?.tap()

    /** The camera: frames the test feeds go to the screen that started it. */
    inner class Camera(private val onFrame: (QrCamera.Frame) -> Unit) : QrCamera {
        @Volatile var running = false
        override fun start() {
            running = true
        }
        override fun stop() {
            running = false
        }
        fun feed(frame: QrCamera.Frame) {
            check(running) { "the camera is not running" }
            onFrame(frame)
        }
    }

    var camera: Camera? = null
    override fun camera(activity: Activity, preview: TextureView, onFrame: (QrCamera.Frame) -> Unit): QrCamera =
        Camera(onFrame).also { camera = it }

    /** The loopback booking site's CA, when a test starts one. */
    var siteCa: String? = null
    override fun siteCaPem(): String? = siteCa

    @Volatile var clockMillis = 1_000L
    override fun monotonicMillis(): Long = clockMillis
}

/** The application under test: the real [TechoApp] on the [TestPlatform]. */
class TestApp : TechoApp() {
    override val platform: Platform get() = current

    companion object {
        /** Set by each test before the first screen starts. */
        lateinit var current: TestPlatform
    }
}
