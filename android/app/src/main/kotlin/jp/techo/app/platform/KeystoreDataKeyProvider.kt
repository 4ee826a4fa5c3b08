package jp.techo.app.platform

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.io.File
import java.security.KeyStore
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import uniffi.techo_ffi.DataKeyException
import uniffi.techo_ffi.DataKeyProvider

/**
 * The store's 32-byte data key, wrapped by an AES-256-GCM key that never leaves the Android
 * Keystore. The wrapped key sits in the app's private files; a copy of the files without this
 * phone's Keystore opens nothing.
 */
class KeystoreDataKeyProvider(context: Context) : DataKeyProvider {
    private val file = File(context.noBackupFilesDir, "techo-data-key.bin")
    private val keyStore: KeyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }

    override fun dataKey(create: Boolean): ByteArray {
        if (file.exists()) return unwrap(file.readBytes())
        if (!create) throw DataKeyException.Platform("no data key on this phone")
        val key = ByteArray(32).also { SecureRandom().nextBytes(it) }
        if (!file.replaceWith(wrap(key))) throw DataKeyException.Platform("cannot store the wrapped key")
        return key
    }

    private fun wrappingKey(): SecretKey {
        (keyStore.getKey(ALIAS, null) as? SecretKey)?.let { return it }
        val gen = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER)
        gen.init(
            KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return gen.generateKey()
    }

    private fun wrap(key: ByteArray): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey())
        return cipher.iv + cipher.doFinal(key)
    }

    private fun unwrap(blob: ByteArray): ByteArray = try {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(128, blob, 0, IV_BYTES))
        cipher.doFinal(blob, IV_BYTES, blob.size - IV_BYTES)
    } catch (e: Exception) {
        throw DataKeyException.Platform("the data key cannot be unwrapped: ${e.javaClass.simpleName}")
    }

    private companion object {
        const val PROVIDER = "AndroidKeyStore"
        const val ALIAS = "techo-data-key-wrap"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
    }
}
