package jp.techo.ffi

import java.io.DataInputStream
import java.io.DataOutputStream
import java.io.EOFException
import java.io.File
import java.math.BigInteger
import java.net.InetSocketAddress
import java.net.Socket
import java.nio.file.Files
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.SecureRandom
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.TimeUnit
import org.json.JSONObject
import uniffi.techo_ffi.CardTransport
import uniffi.techo_ffi.CardTransportException
import uniffi.techo_ffi.DataKeyException
import uniffi.techo_ffi.DataKeyProvider
import uniffi.techo_ffi.DeviceKeyException
import uniffi.techo_ffi.DeviceKeyStore
import uniffi.techo_ffi.HandbookForm
import uniffi.techo_ffi.TechoService

/** The workspace root, passed by Surefire. */
val ROOT: File = File(System.getProperty("techo.root") ?: "../..").canonicalFile

fun fixture(path: String): File = File(ROOT, "fixtures/$path")

fun bin(name: String): String =
    System.getenv("TECHO_BIN_DIR")?.let { File(it, name).path } ?: File(ROOT, "target/debug/$name").path

/** 山田 太郎's 身体 1級 handbook (fixture 01) as the register screen fills it in. */
fun yamadaForm() = HandbookForm(
    kind = "physical",
    grade = "1",
    fareClass = "第1種",
    number = "第12345号",
    municipalityCode = "131016",
    municipalityName = "東京都千代田区",
    issued = "2018-04-02",
    holderName = "山田 太郎",
    holderKana = "ヤマダ タロウ",
    holderBirthDate = "1979-07-20",
)

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
    @Volatile var signatures = 0
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

/**
 * A software My Number card in its own process (`techo-card-sim`), serving the vpcd protocol on
 * a loopback port; its PIN counters persist in a state file across taps and processes. As with a
 * real card, one tap at a time: close a [tap] before the next.
 */
class CardSim(dir: File, val name: String, val extended: Boolean = true) : AutoCloseable {
    private val process: Process
    val port: Int

    init {
        val args = mutableListOf(
            bin("techo-card-sim"), "--card", fixture("cards/$name").path,
            "--state", File(dir, "$name.state").path, "--listen", "127.0.0.1:0",
        )
        if (!extended) args += "--short"
        process = ProcessBuilder(args).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val line = process.inputStream.bufferedReader().readLine()
            ?: error("techo-card-sim exited without listening")
        port = line.substringAfterLast(':').trim().toInt()
    }

    /** One tap of the card: a reader connection powering it up. */
    fun tap(): SocketCard = SocketCard(port, extended)

    /** How many user-authentication PIN tries are left, asked without spending one. */
    fun authTriesLeft(): Int = tap().use { card ->
        card.transmit(hex("00A4040C0AD392F000260100000001"))
        card.transmit(hex("00A4020C020018"))
        val sw = card.transmit(hex("00200080"))
        check(sw.size == 2 && sw[0] == 0x63.toByte()) { "unexpected status ${sw.joinToString("") { "%02X".format(it) }}" }
        sw[1].toInt() and 0x0F
    }

    override fun close() {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS)
    }
}

fun hex(s: String): ByteArray = ByteArray(s.length / 2) { s.substring(2 * it, 2 * it + 2).toInt(16).toByte() }

/**
 * A platform transport written in Kotlin: APDUs over the vpcd framing (two-byte length, bytes)
 * to the card process. A closed connection is the card leaving the field.
 */
class SocketCard(port: Int, private val extended: Boolean) : CardTransport, AutoCloseable {
    private val socket = Socket().apply {
        connect(InetSocketAddress("127.0.0.1", port), 5_000)
        soTimeout = 10_000
    }
    private val input = DataInputStream(socket.getInputStream())
    private val output = DataOutputStream(socket.getOutputStream())
    var apdus = 0
        private set

    init {
        send(byteArrayOf(1)) // power on
    }

    private fun send(data: ByteArray) {
        output.writeShort(data.size)
        output.write(data)
        output.flush()
    }

    override fun extendedLength(): Boolean = extended

    /** A phone's IsoDep states its maximum; this one states the short or extended APDU size. */
    override fun maxTransceiveLength(): UInt = if (extended) 65_546u else 261u

    override fun transmit(apdu: ByteArray): ByteArray = try {
        apdus++
        send(apdu)
        ByteArray(input.readUnsignedShort()).also { input.readFully(it) }
    } catch (e: EOFException) {
        throw CardTransportException.Removed()
    } catch (e: java.net.SocketTimeoutException) {
        throw CardTransportException.Timeout()
    } catch (e: java.io.IOException) {
        throw CardTransportException.Io(e.message ?: e.javaClass.simpleName)
    }

    override fun close() = socket.close()
}

/** techo-server with its portal simulator, on 127.0.0.1, for one test. */
class Servers(dir: File, vararg extra: String) : AutoCloseable {
    private val data = File(dir, "server")
    private val process: Process
    /** The file techo-server writes its address and CA to (a booking site reads it). */
    val endpoints = File(data, "endpoints.json")

    init {
        val bin = System.getenv("TECHO_SERVER_BIN") ?: bin("techo-server")
        process = ProcessBuilder(listOf(bin, "--data-dir", data.path) + extra)
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

    private val json: JSONObject by lazy { JSONObject(endpoints.readText()) }

    /** techo-server's https address and the loopback CA its certificate chains to. */
    val url: String get() = json.getString("server")
    val caPem: String get() = json.getString("ca_pem")

    /** The service the app would build from its shipped configuration, for this loopback server. */
    fun service(): TechoService = TechoService(url, caPem)

    /**
     * An operator publishes a coupon, as its own software would: support issues the operator's
     * token (admin API), the operator puts the coupon with it.
     */
    fun publishCoupon(operator: String, coupon: JSONObject) {
        call("PUT", "/v1/operators/$operator/coupons/${coupon.getString("id")}", operatorToken(operator), coupon.toString())
    }

    /** The operator's token, as support issues it (admin API). */
    fun operatorToken(operator: String): String =
        JSONObject(call("POST", "/v1/admin/operators/$operator/token", json.getString("admin_token"), null)).getString("token")

    private fun call(method: String, path: String, bearer: String, body: String?): String {
        val c = (java.net.URL(url + path).openConnection() as javax.net.ssl.HttpsURLConnection)
        c.sslSocketFactory = trusting(caPem).socketFactory
        c.requestMethod = method
        c.setRequestProperty("Authorization", "Bearer $bearer")
        if (body != null) {
            c.doOutput = true
            c.setRequestProperty("Content-Type", "application/json")
            c.outputStream.use { it.write(body.toByteArray()) }
        }
        check(c.responseCode in 200..299) { "$method $path: ${c.responseCode}" }
        return c.inputStream.bufferedReader().readText().also { c.disconnect() }
    }

    override fun close() {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS)
    }
}

/** TLS that trusts [caPem] only (a loopback server's test CA). */
fun trusting(caPem: String): javax.net.ssl.SSLContext {
    val cert = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(caPem.byteInputStream())
    val store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType()).apply {
        load(null, null)
        setCertificateEntry("ca", cert)
    }
    val trust = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm())
        .apply { init(store) }
    return javax.net.ssl.SSLContext.getInstance("TLS").apply { init(null, trust.trustManagers, null) }
}

/**
 * The reference booking site (`techo-booking-site`) on loopback, checking presentations against
 * [servers]' lists, and a browser's side of it: ask for the discount, read the session.
 */
class BookingSiteProcess(dir: File, servers: Servers) : AutoCloseable {
    private val info = File(dir, "site.json")
    private val process: Process = ProcessBuilder(
        bin("techo-booking-site"), "--endpoints", servers.endpoints.path, "--info", info.path,
    )
        .directory(ROOT)
        .redirectErrorStream(true)
        .redirectOutput(File(dir, "site.log"))
        .start()

    init {
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60)
        while (!info.exists()) {
            check(process.isAlive) { "techo-booking-site exited: " + File(dir, "site.log").readText() }
            check(System.nanoTime() < deadline) { "techo-booking-site did not start within 60 s" }
            Thread.sleep(50)
        }
    }

    private val json = JSONObject(info.readText())
    val url: String = json.getString("url")
    /** The site's TLS CA: the phone trusts it for this site only. */
    val caPem: String = json.getString("ca_pem")
    private val tls = trusting(caPem)
    private var cookie: String? = null

    private fun connect(path: String): javax.net.ssl.HttpsURLConnection =
        (java.net.URL(url + path).openConnection() as javax.net.ssl.HttpsURLConnection).apply {
            sslSocketFactory = tls.socketFactory
            instanceFollowRedirects = false
            cookie?.let { setRequestProperty("Cookie", it) }
        }

    /** The browser asks for the discount on [trip]; returns the session id. */
    fun discount(trip: String, caregiver: Boolean = false, identity: Boolean = false, sameDevice: Boolean = false): String {
        if (cookie == null) {
            cookie = connect("/").run { getHeaderField("Set-Cookie").substringBefore(';').also { disconnect() } }
        }
        return post("/discount", buildString {
            append("trip=$trip&flow=").append(if (sameDevice) "same_device" else "cross_device")
            if (caregiver) append("&caregiver=on")
            if (identity) append("&identity=on")
        })
    }

    /** The browser buys, asking for the order to be signed; returns the signing session's id. */
    fun order(session: String): String = post("/sessions/$session/order", "flow=cross_device")

    private fun post(path: String, form: String): String {
        val c = connect(path)
        c.requestMethod = "POST"
        c.doOutput = true
        c.setRequestProperty("Content-Type", "application/x-www-form-urlencoded")
        c.outputStream.use { it.write(form.toByteArray()) }
        val location = c.getHeaderField("Location") ?: error("$path: no session (${c.responseCode})")
        c.disconnect()
        return location.removePrefix("/sessions/")
    }

    /** What the session page shows (its script's JSON: `link`, `state`, `decision`, …). */
    fun session(id: String): JSONObject = connect("/api/sessions/$id").run {
        JSONObject(inputStream.bufferedReader().readText()).also { disconnect() }
    }

    override fun close() {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS)
    }
}

fun tempDir(): File = Files.createTempDirectory("techo-kt").toFile().also { it.deleteOnExit() }
