package jp.techo.ffi

import java.security.KeyFactory
import java.security.Signature
import java.security.spec.PKCS8EncodedKeySpec
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import uniffi.techo_ffi.JpkiProof
import uniffi.techo_ffi.JpkiSigner
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.LinkageStatus
import uniffi.techo_ffi.SignerException
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.Wallet

/**
 * The smartphone certificate (スマホ用電子証明書) as a shell would plug it in: a Kotlin
 * [JpkiSigner] that stands for the platform's JPKI API, here signing with the test key of
 * `fixtures/cards/yamada-smartphone` through java.security after a "phone authentication" the
 * test accepts or cancels.
 */
class TestSmartphoneCertificate(private var accept: Boolean) : JpkiSigner {
    private val dir = fixture("cards/yamada-smartphone")
    private val key = KeyFactory.getInstance("RSA")
        .generatePrivate(PKCS8EncodedKeySpec(java.io.File(dir, "auth.key.der").readBytes()))
    var signatures = 0
        private set

    fun accept() {
        accept = true
    }

    override fun authenticate(challenge: ByteArray): JpkiProof {
        if (!accept) throw SignerException.NotAuthenticated()
        val signature = Signature.getInstance("SHA256withRSA").run {
            initSign(key)
            update(challenge)
            sign()
        }
        signatures++
        return JpkiProof(java.io.File(dir, "auth.crt.der").readBytes(), signature)
    }
}

class SmartphoneCertificateTest {
    @Test
    fun `linking with the smartphone certificate through the bindings, a cancel first`() {
        val dir = tempDir()
        Servers(dir).use { servers ->
            val service = servers.service()
            Wallet.open(java.io.File(dir, "wallet").path, MemoryDataKeys(), JcaDeviceKeyStore(), null).use { wallet ->
                val hb = wallet.register(yamadaForm(), fixture("handbooks/photos/yamada.png").readBytes(), Language.ENGLISH)
                val phone = TestSmartphoneCertificate(accept = false)
                val e = assertThrows<TechoException.Card> {
                    runBlocking { wallet.linkWithSigner(service, hb.id, phone, Language.ENGLISH) }
                }
                assertTrue(e.detail.contains("try again"), e.detail)
                assertEquals(0, phone.signatures)
                assertEquals(LinkageStatus.UNLINKED, wallet.linkage(hb.id, Language.ENGLISH).status)

                phone.accept()
                val info = runBlocking { wallet.linkWithSigner(service, hb.id, phone, Language.ENGLISH) }
                assertEquals(LinkageStatus.LINKED, info.status, info.label)
                assertEquals(1, phone.signatures)
            }
        }
    }
}
