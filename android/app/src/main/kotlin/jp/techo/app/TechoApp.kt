package jp.techo.app

import android.app.Activity
import android.app.Application
import android.content.Intent
import android.os.Bundle
import android.os.SystemClock
import java.io.File
import jp.techo.app.platform.KeystoreDataKeyProvider
import jp.techo.app.platform.KeystoreDeviceKeyStore
import jp.techo.app.platform.SystemWalletClock
import jp.techo.app.presenter.LockPolicy
import jp.techo.app.ui.CounterActivity
import jp.techo.app.ui.MainActivity
import org.json.JSONObject
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.TechoService
import uniffi.techo_ffi.Wallet

/**
 * The process-wide wallet (one per process: the store is locked while open) and the issuer's
 * address. `assets/techo-server.json` holds `{"server": "https://…", "ca_pem": "…"}`; a release
 * build trusts the issuer's public CA instead of a test one.
 */
class TechoApp : Application() {
    /** When to ask for the app lock again; fed by every screen's start and stop. */
    val lock = LockPolicy(clock = { SystemClock.elapsedRealtime() })

    override fun onCreate() {
        super.onCreate()
        registerActivityLifecycleCallbacks(object : ActivityLifecycleCallbacks {
            override fun onActivityStarted(activity: Activity) = lock.screenStarted()
            override fun onActivityStopped(activity: Activity) = lock.screenStopped()
            override fun onActivityCreated(activity: Activity, savedInstanceState: Bundle?) {}
            override fun onActivityResumed(activity: Activity) {
                // Screens without their own lock prompt go back to the list, which asks for it.
                if (lock.needsUnlock && activity !is MainActivity && activity !is CounterActivity) {
                    activity.startActivity(
                        Intent(activity, MainActivity::class.java).addFlags(Intent.FLAG_ACTIVITY_CLEAR_TOP),
                    )
                    activity.finish()
                }
            }
            override fun onActivityPaused(activity: Activity) {}
            override fun onActivitySaveInstanceState(activity: Activity, outState: Bundle) {}
            override fun onActivityDestroyed(activity: Activity) {}
        })
    }

    val wallet: Wallet by lazy {
        Wallet.open(
            File(filesDir, "wallet").path,
            KeystoreDataKeyProvider(this),
            KeystoreDeviceKeyStore(this),
            SystemWalletClock(),
        )
    }

    val service: TechoService by lazy {
        val json = JSONObject(assets.open("techo-server.json").bufferedReader().use { it.readText() })
        TechoService(json.getString("server"), json.getString("ca_pem"))
    }

    /** The holder's language: Japanese unless the phone is set to another language. */
    val lang: Language
        get() = if (resources.configuration.locales[0].language == "ja") Language.JAPANESE else Language.ENGLISH
}
