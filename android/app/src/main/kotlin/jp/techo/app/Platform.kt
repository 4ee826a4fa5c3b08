package jp.techo.app

import android.app.Activity
import android.nfc.Tag
import android.view.TextureView
import jp.techo.app.platform.QrCamera
import uniffi.techo_ffi.CardTransport
import uniffi.techo_ffi.DataKeyProvider
import uniffi.techo_ffi.DeviceKeyStore

/** How an unlock prompt ended. */
sealed interface UnlockResult {
    data object Unlocked : UnlockResult
    /** The holder cancelled or failed the prompt: nothing is asked again until they tap. */
    data class Cancelled(val reason: String) : UnlockResult
    /** The phone has no screen lock: the Keystore keys cannot be used until one is set. */
    data class NotPossible(val reason: String) : UnlockResult
}

/** Where the app's issuer is, the CA its TLS chains to, and the issuer root key the app pins. */
data class ServerConfig(val url: String, val caPem: String, val rootKey: ByteArray)

/** The build carries no server configuration (`assets/techo-server.json`, `techo-root-key.txt`). */
class ConfigMissing(message: String) : Exception(message)

/**
 * Everything the app needs from the phone's hardware and system. The Android implementation
 * ([jp.techo.app.platform.AndroidPlatform]) uses the Keystore, BiometricPrompt or the screen
 * lock, IsoDep and camera2; Robolectric has none of those working, so its tests give their own.
 */
interface Platform {
    /** The store's data key, wrapped by a Keystore key. */
    val dataKeys: DataKeyProvider

    /** Where device keys live (StrongBox / TEE). */
    val deviceKeys: DeviceKeyStore

    /** @throws ConfigMissing when this build has no server configured. */
    fun serverConfig(): ServerConfig

    /** Asks for the biometric or the screen lock; [done] runs on the main thread. */
    fun unlock(activity: Activity, title: String, subtitle: String, done: (UnlockResult) -> Unit)

    /** Forwarded from the activity that asked for an unlock (the screen-lock prompt answers here). */
    fun onActivityResult(requestCode: Int, resultCode: Int) {}

    /** The card behind a tag reader mode found, or `null` when it is not an ISO-DEP card. */
    fun cardTransport(tag: Tag): CardTransport?

    /** The back camera, delivering frames to [onFrame] (on a background thread) once started. */
    fun camera(activity: Activity, preview: TextureView, onFrame: (QrCamera.Frame) -> Unit): QrCamera

    /**
     * The one CA booking sites are trusted under, or `null` for the web's roots (built into the
     * core). Only a test build names one (its loopback site's).
     */
    fun siteCaPem(): String? = null

    /** Milliseconds that never go back (the app-lock timing). */
    fun monotonicMillis(): Long
}
