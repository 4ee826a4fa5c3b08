package jp.techo.ffi

import java.io.File
import java.math.BigInteger
import java.nio.file.Files
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.SecureRandom
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.TimeUnit
import uniffi.techo_ffi.CardTransport
import uniffi.techo_ffi.DataKeyException
import uniffi.techo_ffi.DataKeyProvider
import uniffi.techo_ffi.DeviceKeyException
import uniffi.techo_ffi.DeviceKeyStore
import uniffi.techo_ffi.SoftwareCard

/** The workspace root, passed by Surefire. */
val ROOT: File = File(System.getProperty("techo.root") ?: "../..").canonicalFile

fun fixture(path: String): File = File(ROOT, "fixtures/$path")

/** A keystore stand-in for the store's data key: 32 random bytes, made on first use. */
class MemoryDataKeys : DataKeyProvider {
    private var key: ByteArray? = null

    override fun dataKey(create: Boolean): ByteArray {
        key?.let { return it }
        if (!create) throw DataKeyException.Platform("no key yet")
        return ByteArray(32).also { SecureRandom().nextBytes(it); key = it }
    }
}

/**
 * Device keys the way a JVM platform would hold them: EC P-256 pairs from java.security, signing
 * with SHA256withECDSA. The JCA gives DER signatures; the token needs r ‖ s, converted here.
 */
class JcaDeviceKeyStore : DeviceKeyStore {
    val keys = ConcurrentHashMap<String, KeyPair>()
    @Volatile var cancelNext = false
    /** Signs only after an unlock, as Keystore keys do once their authentication window passed. */
    @Volatile var locked = false
    var signatures = 0
        private set

    override fun createKey(alias: String): ByteArray {
        val gen = KeyPairGenerator.getInstance("EC")
        gen.initialize(ECGenParameterSpec("secp256r1"))
        val pair = gen.generateKeyPair()
        keys[alias] = pair
        return uncompressedPoint(pair.public as ECPublicKey)
    }

    override fun sign(alias: String, message: ByteArray): ByteArray {
        if (locked) throw DeviceKeyException.NotUnlocked()
        if (cancelNext) {
            cancelNext = false
            throw DeviceKeyException.UserCancelled()
        }
        val pair = keys[alias] ?: throw DeviceKeyException.KeyLost()
        val der = Signature.getInstance("SHA256withECDSA").run {
            initSign(pair.private)
            update(message)
            sign()
        }
        signatures++
        return derToRaw(der)
    }

    override fun deleteKey(alias: String) {
        keys.remove(alias)
    }
}

/** SEC1 uncompressed point: 04 ‖ x ‖ y, each coordinate 32 bytes. */
fun uncompressedPoint(key: ECPublicKey): ByteArray =
    byteArrayOf(4) + fixed32(key.w.affineX) + fixed32(key.w.affineY)

private fun fixed32(n: BigInteger): ByteArray {
    val b = n.toByteArray().dropWhile { it == 0.toByte() }.toByteArray()
    require(b.size <= 32) { "coordinate longer than 32 bytes" }
    return ByteArray(32 - b.size) + b
}

/** DER SEQUENCE { INTEGER r, INTEGER s } → r ‖ s (32 bytes each). */
fun derToRaw(der: ByteArray): ByteArray {
    require(der[0] == 0x30.toByte()) { "not a DER sequence" }
    var i = 2
    fun integer(): BigInteger {
        require(der[i] == 0x02.toByte()) { "not a DER integer" }
        val len = der[i + 1].toInt()
        val v = BigInteger(1, der.copyOfRange(i + 2, i + 2 + len))
        i += 2 + len
        return v
    }
    val r = integer()
    val s = integer()
    return fixed32(r) + fixed32(s)
}

/** A platform transport written in Kotlin that forwards every APDU to the software card. */
class ForwardingCard(private val card: SoftwareCard) : CardTransport {
    var apdus = 0
        private set

    override fun extendedLength(): Boolean = card.extendedLength()

    override fun transmit(apdu: ByteArray): ByteArray {
        apdus++
        return card.transmit(apdu)
    }
}

fun softwareCard(dir: File, name: String): SoftwareCard =
    SoftwareCard.open(fixture("cards/$name").path, File(dir, "$name.state").path, true)

/** techo-server with its portal simulator, on 127.0.0.1, for one test. */
class Servers(dir: File) : AutoCloseable {
    private val data = File(dir, "server")
    private val process: Process
    val endpoints = File(data, "endpoints.json")

    init {
        val bin = System.getenv("TECHO_SERVER_BIN") ?: File(ROOT, "target/debug/techo-server").path
        process = ProcessBuilder(bin, "--data-dir", data.path)
            .directory(ROOT)
            .redirectErrorStream(true)
            .redirectOutput(File(dir, "server.log"))
            .start()
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60)
        while (!endpoints.exists()) {
            check(process.isAlive) { "techo-server exited: " + File(dir, "server.log").readText() }
            check(System.nanoTime() < deadline) { "techo-server did not start within 60 s" }
            Thread.sleep(50)
        }
        Thread.sleep(50)
    }

    override fun close() {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS)
    }
}

fun tempDir(): File = Files.createTempDirectory("techo-kt").toFile().also { it.deleteOnExit() }
