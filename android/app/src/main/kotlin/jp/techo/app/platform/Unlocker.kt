package jp.techo.app.platform

import android.app.Activity
import android.app.KeyguardManager
import android.content.Context
import android.hardware.biometrics.BiometricManager
import android.hardware.biometrics.BiometricPrompt
import android.os.Build
import android.os.CancellationSignal
import android.os.Handler
import android.os.Looper
import jp.techo.app.UnlockResult

/**
 * The app lock, as each Android version allows it:
 * - 11+: BiometricPrompt with a strong biometric or the device credential;
 * - 10: BiometricPrompt with `setDeviceCredentialAllowed`;
 * - 9: BiometricPrompt with a "use the screen lock" button (device credential in the prompt
 *   came with 10), falling back to the screen-lock confirmation;
 * - 8–8.1: the screen-lock confirmation (`createConfirmDeviceCredentialIntent`).
 * Without a screen lock nothing can unlock the Keystore keys: that is reported, not skipped.
 */
class Unlocker {
    private var pending: ((UnlockResult) -> Unit)? = null

    fun unlock(activity: Activity, title: String, subtitle: String, done: (UnlockResult) -> Unit) {
        val keyguard = activity.getSystemService(Context.KEYGUARD_SERVICE) as KeyguardManager
        if (!keyguard.isDeviceSecure) {
            done(UnlockResult.NotPossible(noScreenLock(activity)))
            return
        }
        when {
            Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q -> biometricPrompt(activity, title, subtitle, done)
            Build.VERSION.SDK_INT == Build.VERSION_CODES.P && hasBiometric(activity) ->
                biometricPrompt(activity, title, subtitle, done)
            else -> screenLock(activity, keyguard, title, subtitle, done)
        }
    }

    private fun hasBiometric(activity: Activity): Boolean =
        activity.packageManager.hasSystemFeature("android.hardware.fingerprint")

    private fun biometricPrompt(activity: Activity, title: String, subtitle: String, done: (UnlockResult) -> Unit) {
        val main = Handler(Looper.getMainLooper())
        val executor = java.util.concurrent.Executor { main.post(it) }
        val builder = BiometricPrompt.Builder(activity).setTitle(title).setSubtitle(subtitle)
        when {
            Build.VERSION.SDK_INT >= Build.VERSION_CODES.R -> builder.setAllowedAuthenticators(
                BiometricManager.Authenticators.BIOMETRIC_STRONG or BiometricManager.Authenticators.DEVICE_CREDENTIAL,
            )
            Build.VERSION.SDK_INT == Build.VERSION_CODES.Q -> @Suppress("DEPRECATION") builder.setDeviceCredentialAllowed(true)
            else -> builder.setNegativeButton(screenLockLabel(activity), executor) { _, _ ->
                val keyguard = activity.getSystemService(Context.KEYGUARD_SERVICE) as KeyguardManager
                screenLock(activity, keyguard, title, subtitle, done)
            }
        }
        builder.build().authenticate(
            CancellationSignal(),
            executor,
            object : BiometricPrompt.AuthenticationCallback() {
                override fun onAuthenticationSucceeded(result: BiometricPrompt.AuthenticationResult) =
                    done(UnlockResult.Unlocked)

                override fun onAuthenticationError(errorCode: Int, errString: CharSequence) {
                    // On 9 the negative button reports itself as an error: the screen lock follows.
                    if (errorCode != BiometricPrompt.BIOMETRIC_ERROR_CANCELED || Build.VERSION.SDK_INT > Build.VERSION_CODES.P) {
                        done(UnlockResult.Cancelled(errString.toString()))
                    }
                }
            },
        )
    }

    @Suppress("DEPRECATION") // the only screen-lock prompt before Android 10
    private fun screenLock(
        activity: Activity,
        keyguard: KeyguardManager,
        title: String,
        subtitle: String,
        done: (UnlockResult) -> Unit,
    ) {
        val intent = keyguard.createConfirmDeviceCredentialIntent(title, subtitle)
        if (intent == null) {
            done(UnlockResult.NotPossible(noScreenLock(activity)))
            return
        }
        pending = done
        activity.startActivityForResult(intent, REQUEST)
    }

    fun onActivityResult(requestCode: Int, resultCode: Int) {
        if (requestCode != REQUEST) return
        val done = pending ?: return
        pending = null
        done(if (resultCode == Activity.RESULT_OK) UnlockResult.Unlocked else UnlockResult.Cancelled("cancelled"))
    }

    private fun noScreenLock(activity: Activity) = jp.techo.app.ui.pick(
        (activity.application as jp.techo.app.TechoApp).lang,
        "画面ロック（PIN・パターン・パスワード）を設定してください",
        "Set a screen lock (PIN, pattern or password) first",
    )

    private fun screenLockLabel(activity: Activity) = jp.techo.app.ui.pick(
        (activity.application as jp.techo.app.TechoApp).lang,
        "画面ロックを使う",
        "Use the screen lock",
    )

    companion object {
        const val REQUEST = 0x7EC0
    }
}
