package jp.techo.app.platform

import android.nfc.TagLostException
import android.nfc.tech.IsoDep
import java.io.IOException
import uniffi.techo_ffi.CardTransport
import uniffi.techo_ffi.CardTransportException

/**
 * The My Number card over NFC: the core sends every APDU through here and decides everything.
 * Extended length is used when the phone's reader supports it (one READ BINARY per certificate).
 */
class IsoDepTransport(private val tag: IsoDep, timeoutMillis: Int = 5_000) : CardTransport, AutoCloseable {
    init {
        tag.timeout = timeoutMillis
        if (!tag.isConnected) tag.connect()
    }

    override fun extendedLength(): Boolean = tag.isExtendedLengthApduSupported

    /** Some phones carry less than an extended APDU (e.g. 261 or 1024 bytes): the core reads in chunks that fit. */
    override fun maxTransceiveLength(): UInt = tag.maxTransceiveLength.coerceAtLeast(0).toUInt()

    override fun transmit(apdu: ByteArray): ByteArray = try {
        tag.transceive(apdu)
    } catch (e: TagLostException) {
        throw CardTransportException.Removed()
    } catch (e: IOException) {
        // A transceive that outlives the tag's timeout ends the same way on most phones.
        if (e.message?.contains("timeout", ignoreCase = true) == true) {
            throw CardTransportException.Timeout()
        }
        throw CardTransportException.Io(e.message ?: e.javaClass.simpleName)
    } catch (e: SecurityException) {
        // The tag object went stale (card taken away and back): same as removed.
        throw CardTransportException.Removed()
    }

    override fun close() {
        try {
            tag.close()
        } catch (_: IOException) {
        }
    }
}
