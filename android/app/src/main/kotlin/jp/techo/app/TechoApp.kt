package jp.techo.app

import android.app.Activity
import android.app.Application
import android.os.Bundle
import java.io.File
import jp.techo.app.platform.AndroidPlatform
import uniffi.techo_ffi.AppLock
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.TechoService
import uniffi.techo_ffi.Wallet
import uniffi.techo_ffi.resetWallet

/** Whether the wallet could be opened. */
sealed interface WalletState {
    data class Open(val wallet: Wallet) : WalletState
    /** The store is here but this phone's Keystore key is not (a restored or transferred phone). */
    data class KeyGone(val detail: String) : WalletState
    data class Failed(val detail: String) : WalletState
}

/**
 * The process-wide wallet (one per process: the store is locked while open), the issuer
 * service, and the app lock. Tests replace [platform] before anything opens.
 */
open class TechoApp : Application() {
    open val platform: Platform by lazy { AndroidPlatform(this) }

    /** When to ask for the app lock; fed by every screen's start and stop. */
    val lock = AppLock()

    val walletDir: File get() = File(filesDir, "wallet")
    /** Staff mode's saved trust and status lists (as the issuer signed them), for deltas and offline starts. */
    val verifierListsFile: File get() = File(filesDir, "verifier-lists.cbor")
    /** The holder read the "store rebuilt from its second copy" notice (asked once per open). */
    var recoveryRead = false

    /** Staff mode's operator directory, as the issuer signed it. */
    val operatorsFile: File get() = File(filesDir, "staff-operators.cbor")

    private var state: WalletState? = null

    override fun onCreate() {
        super.onCreate()
        registerActivityLifecycleCallbacks(object : ActivityLifecycleCallbacks {
            override fun onActivityStarted(activity: Activity) =
                lock.screenStarted(platform.monotonicMillis().toULong())
            override fun onActivityStopped(activity: Activity) =
                lock.screenStopped(platform.monotonicMillis().toULong())
            override fun onActivityCreated(activity: Activity, savedInstanceState: Bundle?) {}
            override fun onActivityResumed(activity: Activity) {}
            override fun onActivityPaused(activity: Activity) {}
            override fun onActivitySaveInstanceState(activity: Activity, outState: Bundle) {}
            override fun onActivityDestroyed(activity: Activity) {}
        })
    }

    /** The wallet, opened on first use; a store this phone cannot open is a state, not a crash. */
    @Synchronized
    fun walletState(): WalletState = state ?: open().also { state = it }

    private fun open(): WalletState = try {
        WalletState.Open(Wallet.open(walletDir.path, platform.dataKeys, platform.deviceKeys, null))
    } catch (e: TechoException.Store) {
        if (walletDir.exists() && platform.dataKeys.let { runCatching { it.dataKey(false) }.isFailure }) {
            WalletState.KeyGone(e.detail)
        } else {
            WalletState.Failed(e.detail)
        }
    } catch (e: TechoException) {
        WalletState.Failed(e.message ?: e.toString())
    }

    /** The open wallet; screens reach it only after [MainActivity] checked [walletState]. */
    val wallet: Wallet
        get() = (walletState() as? WalletState.Open)?.wallet
            ?: error("the wallet is not open: ${walletState()}")

    /** Deletes a wallet this phone can no longer open (its key is gone), to start again. */
    @Synchronized
    fun resetWallet() {
        (state as? WalletState.Open)?.wallet?.close()
        resetWallet(walletDir.path)
        walletDir.deleteRecursively()
        state = null
    }

    private var service: TechoService? = null

    /** The issuer service; @throws ConfigMissing when this build has none configured. */
    @Synchronized
    fun service(): TechoService = service ?: platform.serverConfig().let { c ->
        TechoService(c.url, c.caPem).also { service = it }
    }

    /** The holder's language: Japanese unless the phone is set to another language. */
    val lang: Language
        get() = if (resources.configuration.locales[0].language == "ja") Language.JAPANESE else Language.ENGLISH
}
