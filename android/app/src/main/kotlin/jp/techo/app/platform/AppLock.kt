package jp.techo.app.platform

import android.app.Activity
import android.app.KeyguardManager
import android.content.Context
import android.hardware.biometrics.BiometricManager
import android.hardware.biometrics.BiometricPrompt
import android.os.Build
import android.os.CancellationSignal

/**
 * The app lock: a biometric or the device's own PIN/pattern before handbooks are shown or a
 * device key signs. On Android 8–8.1 (no BiometricPrompt) the screen lock alone is required.
 */
class AppLock(private val activity: Activity) {
    /** The phone has a screen lock: without one the Keystore keys cannot require a user. */
    val deviceSecure: Boolean
        get() = (activity.getSystemService(Context.KEYGUARD_SERVICE) as KeyguardManager).isDeviceSecure

    fun unlock(title: String, subtitle: String, onUnlocked: () -> Unit, onFailed: (String) -> Unit) {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.P) {
            if (deviceSecure) onUnlocked() else onFailed("set a screen lock first")
            return
        }
        val builder = BiometricPrompt.Builder(activity)
            .setTitle(title)
            .setSubtitle(subtitle)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            builder.setAllowedAuthenticators(
                BiometricManager.Authenticators.BIOMETRIC_STRONG or
                    BiometricManager.Authenticators.DEVICE_CREDENTIAL,
            )
        } else {
            @Suppress("DEPRECATION")
            builder.setDeviceCredentialAllowed(true)
        }
        builder.build().authenticate(
            CancellationSignal(),
            activity.mainExecutor,
            object : BiometricPrompt.AuthenticationCallback() {
                override fun onAuthenticationSucceeded(result: BiometricPrompt.AuthenticationResult) = onUnlocked()

                override fun onAuthenticationError(errorCode: Int, errString: CharSequence) =
                    onFailed(errString.toString())
            },
        )
    }
}
