package jp.techo.app.platform

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import android.security.keystore.UserNotAuthenticatedException
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.PrivateKey
import java.security.Signature
import java.security.spec.ECGenParameterSpec
import uniffi.techo_ffi.DeviceKeyException
import uniffi.techo_ffi.DeviceKeyStore

/**
 * Device keys in the Android Keystore: P-256, in StrongBox when the phone has one, usable only
 * after the holder unlocked the app (biometric or device credential, valid for
 * [authValiditySeconds]). The core asks for a batch of keys at linkage and checks every signature
 * against the public key it recorded; it accepts the Keystore's SPKI keys and DER signatures.
 */
class KeystoreDeviceKeyStore(
    private val context: Context,
    private val authValiditySeconds: Int = 300,
) : DeviceKeyStore {
    private val keyStore: KeyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }

    private val hasStrongBox: Boolean
        get() = Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
            context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)

    override fun createKey(alias: String): ByteArray {
        val name = ALIAS_PREFIX + alias
        return try {
            generate(name, strongBox = hasStrongBox)
        } catch (e: Exception) {
            if (hasStrongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P && e is StrongBoxUnavailableException) {
                generate(name, strongBox = false)
            } else {
                throw DeviceKeyException.Hardware(e.message ?: e.javaClass.simpleName)
            }
        }
    }

    private fun generate(name: String, strongBox: Boolean): ByteArray {
        val spec = KeyGenParameterSpec.Builder(name, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
            .setUserAuthenticationRequired(true)
            .apply {
                if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
                    setUserAuthenticationParameters(
                        authValiditySeconds,
                        KeyProperties.AUTH_BIOMETRIC_STRONG or KeyProperties.AUTH_DEVICE_CREDENTIAL,
                    )
                } else {
                    @Suppress("DEPRECATION")
                    setUserAuthenticationValidityDurationSeconds(authValiditySeconds)
                }
                if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
                    setIsStrongBoxBacked(true)
                }
            }
            .build()
        val gen = KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, PROVIDER)
        gen.initialize(spec)
        // X.509 SubjectPublicKeyInfo; the core reads the P-256 point out of it.
        return gen.generateKeyPair().public.encoded
    }

    override fun sign(alias: String, message: ByteArray): ByteArray {
        val key = keyStore.getKey(ALIAS_PREFIX + alias, null) as? PrivateKey
            ?: throw DeviceKeyException.KeyLost()
        return try {
            Signature.getInstance("SHA256withECDSA").run {
                initSign(key)
                update(message)
                sign()
            }
        } catch (e: UserNotAuthenticatedException) {
            // The unlock has lapsed (a phone left unlocked, picked up later): the counter screen
            // shows the app lock, then presents again.
            throw DeviceKeyException.NotUnlocked()
        } catch (e: KeyPermanentlyInvalidatedException) {
            // New fingerprints or the screen lock removed: the key is gone for good; link again.
            throw DeviceKeyException.KeyLost()
        } catch (e: Exception) {
            throw DeviceKeyException.Hardware(e.message ?: e.javaClass.simpleName)
        }
    }

    override fun deleteKey(alias: String) {
        keyStore.deleteEntry(ALIAS_PREFIX + alias)
    }

    private companion object {
        const val PROVIDER = "AndroidKeyStore"
        const val ALIAS_PREFIX = "techo-device-"
    }
}
