package jp.techo.app.platform

import android.app.Activity
import android.content.Context
import android.nfc.Tag
import android.nfc.tech.IsoDep
import android.os.SystemClock
import android.view.TextureView
import java.io.IOException
import jp.techo.app.ConfigMissing
import jp.techo.app.Platform
import jp.techo.app.ServerConfig
import jp.techo.app.UnlockResult
import org.json.JSONException
import org.json.JSONObject
import uniffi.techo_ffi.CardTransport

/**
 * The phone: Keystore keys (StrongBox when present), the biometric or screen-lock prompt, IsoDep
 * for the card and camera2 for staff mode. The server and the issuer root key come from the
 * app's assets: `techo-server.json` (`{"server": …, "ca_pem": …}`) and `techo-root-key.txt` (the
 * root public key in hex, pinned: a key the server later announces never replaces it).
 */
class AndroidPlatform(private val context: Context) : Platform {
    override val dataKeys = KeystoreDataKeyProvider(context)
    override val deviceKeys = KeystoreDeviceKeyStore(context)
    private val unlocker = Unlocker()

    override fun serverConfig(): ServerConfig {
        fun asset(name: String): String = try {
            context.assets.open(name).bufferedReader().use { it.readText() }
        } catch (e: IOException) {
            throw ConfigMissing("this build has no $name: see android/app/src/main/assets/README.md")
        }
        val json = try {
            JSONObject(asset("techo-server.json"))
        } catch (e: JSONException) {
            throw ConfigMissing("techo-server.json does not read: ${e.message}")
        }
        val root = asset("techo-root-key.txt").trim()
        if (!root.matches(Regex("[0-9a-fA-F]{66}|[0-9a-fA-F]{130}"))) {
            throw ConfigMissing("techo-root-key.txt must hold the issuer root key in hex")
        }
        return ServerConfig(
            url = json.optString("server").ifEmpty { throw ConfigMissing("techo-server.json has no server") },
            caPem = json.optString("ca_pem").ifEmpty { throw ConfigMissing("techo-server.json has no ca_pem") },
            rootKey = root.chunked(2).map { it.toInt(16).toByte() }.toByteArray(),
        )
    }

    override fun unlock(activity: Activity, title: String, subtitle: String, done: (UnlockResult) -> Unit) =
        unlocker.unlock(activity, title, subtitle, done)

    override fun onActivityResult(requestCode: Int, resultCode: Int) =
        unlocker.onActivityResult(requestCode, resultCode)

    override fun cardTransport(tag: Tag): CardTransport? = IsoDep.get(tag)?.let(::IsoDepTransport)

    override fun camera(activity: Activity, preview: TextureView, onFrame: (QrCamera.Frame) -> Unit): QrCamera =
        Camera2QrCamera(activity, preview, onFrame)

    override fun monotonicMillis(): Long = SystemClock.elapsedRealtime()
}
