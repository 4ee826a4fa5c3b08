package jp.techo.app.platform

import com.google.zxing.BarcodeFormat
import com.google.zxing.BinaryBitmap
import com.google.zxing.DecodeHintType
import com.google.zxing.MultiFormatReader
import com.google.zxing.NotFoundException
import com.google.zxing.PlanarYUVLuminanceSource
import com.google.zxing.ReaderException
import com.google.zxing.Result
import com.google.zxing.ResultMetadataType
import com.google.zxing.common.GlobalHistogramBinarizer
import com.google.zxing.common.HybridBinarizer

/** Staff mode's camera: frames of luminance until it is stopped. */
interface QrCamera {
    /** One grey frame: [width] × [height] bytes, [rowStride] bytes a row. */
    class Frame(val luminance: ByteArray, val width: Int, val height: Int, val rowStride: Int)

    fun start()

    /** Closes the camera: in `onPause`, so it never stays open behind another app. */
    fun stop()
}

/**
 * ZXing on one frame: the QR code's content, or `null` when there is none in view. The counter
 * code is in byte mode when that is smaller (`TK1` and raw bytes), so the bytes are taken as
 * they were encoded, never through a text decoding that would change them.
 */
class QrDecoder {
    private val reader = MultiFormatReader().apply {
        setHints(
            mapOf(
                DecodeHintType.POSSIBLE_FORMATS to listOf(BarcodeFormat.QR_CODE),
                DecodeHintType.TRY_HARDER to true,
            ),
        )
    }

    fun decode(frame: QrCamera.Frame): ByteArray? {
        val source = PlanarYUVLuminanceSource(
            frame.luminance, frame.rowStride, frame.height, 0, 0, frame.width, frame.height, false,
        )
        // The local binarizer first; a phone screen's even lighting sometimes reads only with
        // the global one (the code is still checked whole by the verifier either way).
        return attempt(BinaryBitmap(HybridBinarizer(source)))
            ?: attempt(BinaryBitmap(GlobalHistogramBinarizer(source)))
    }

    private fun attempt(bitmap: BinaryBitmap): ByteArray? = try {
        contentOf(reader.decodeWithState(bitmap))
    } catch (_: NotFoundException) {
        null
    } catch (_: ReaderException) {
        null
    } finally {
        reader.reset()
    }
}

/** A decoded QR code's bytes: its byte segments as encoded, else its (ASCII) text. */
fun contentOf(result: Result): ByteArray {
    val segments = result.resultMetadata?.get(ResultMetadataType.BYTE_SEGMENTS) as? List<*>
    val bytes = segments?.filterIsInstance<ByteArray>().orEmpty()
    if (bytes.isNotEmpty()) {
        return bytes.fold(ByteArray(0)) { acc, b -> acc + b }
    }
    return result.text.toByteArray(Charsets.ISO_8859_1)
}
