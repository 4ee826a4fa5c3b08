package jp.techo.app.platform

import android.annotation.SuppressLint
import android.content.Context
import android.graphics.ImageFormat
import android.graphics.SurfaceTexture
import android.hardware.camera2.CameraCaptureSession
import android.hardware.camera2.CameraCharacteristics
import android.hardware.camera2.CameraDevice
import android.hardware.camera2.CameraManager
import android.hardware.camera2.CaptureRequest
import android.hardware.camera2.params.OutputConfiguration
import android.hardware.camera2.params.SessionConfiguration
import android.media.ImageReader
import android.os.Handler
import android.os.HandlerThread
import android.view.Surface
import android.view.TextureView
import com.google.zxing.BarcodeFormat
import com.google.zxing.BinaryBitmap
import com.google.zxing.DecodeHintType
import com.google.zxing.MultiFormatReader
import com.google.zxing.NotFoundException
import com.google.zxing.PlanarYUVLuminanceSource
import com.google.zxing.common.HybridBinarizer

/**
 * Staff mode's camera: the back camera previews into [preview] and every frame's luminance goes
 * to ZXing until a QR code decodes; its text (`TK1:…`) is handed to [onCode] once.
 */
class QrScanner(
    private val context: Context,
    private val preview: TextureView,
    private val onCode: (String) -> Unit,
) {
    private val thread = HandlerThread("qr-scanner").apply { start() }
    private val handler = Handler(thread.looper)
    private val reader = MultiFormatReader().apply {
        setHints(mapOf(DecodeHintType.POSSIBLE_FORMATS to listOf(BarcodeFormat.QR_CODE)))
    }
    private var camera: CameraDevice? = null
    private var images: ImageReader? = null
    @Volatile private var found = false

    /** Call after the CAMERA permission was granted and the preview has a surface. */
    @SuppressLint("MissingPermission")
    fun start() {
        val manager = context.getSystemService(Context.CAMERA_SERVICE) as CameraManager
        val id = manager.cameraIdList.firstOrNull {
            manager.getCameraCharacteristics(it).get(CameraCharacteristics.LENS_FACING) ==
                CameraCharacteristics.LENS_FACING_BACK
        } ?: return
        val reader = ImageReader.newInstance(WIDTH, HEIGHT, ImageFormat.YUV_420_888, 2)
        reader.setOnImageAvailableListener({ r -> r.acquireLatestImage()?.use { decode(it) } }, handler)
        images = reader
        manager.openCamera(
            id,
            object : CameraDevice.StateCallback() {
                override fun onOpened(device: CameraDevice) {
                    camera = device
                    startSession(device, reader)
                }

                override fun onDisconnected(device: CameraDevice) = device.close()

                override fun onError(device: CameraDevice, error: Int) = device.close()
            },
            handler,
        )
    }

    private fun startSession(device: CameraDevice, reader: ImageReader) {
        val texture: SurfaceTexture = preview.surfaceTexture ?: return
        texture.setDefaultBufferSize(WIDTH, HEIGHT)
        val previewSurface = Surface(texture)
        val request = device.createCaptureRequest(CameraDevice.TEMPLATE_PREVIEW).apply {
            addTarget(previewSurface)
            addTarget(reader.surface)
            set(CaptureRequest.CONTROL_AF_MODE, CaptureRequest.CONTROL_AF_MODE_CONTINUOUS_PICTURE)
        }
        val outputs = listOf(OutputConfiguration(previewSurface), OutputConfiguration(reader.surface))
        device.createCaptureSession(
            SessionConfiguration(
                SessionConfiguration.SESSION_REGULAR,
                outputs,
                context.mainExecutor,
                object : CameraCaptureSession.StateCallback() {
                    override fun onConfigured(session: CameraCaptureSession) {
                        session.setRepeatingRequest(request.build(), null, handler)
                    }

                    override fun onConfigureFailed(session: CameraCaptureSession) = session.close()
                },
            ),
        )
    }

    private fun decode(image: android.media.Image) {
        if (found) return
        val plane = image.planes[0]
        val buffer = plane.buffer
        val data = ByteArray(buffer.remaining()).also { buffer.get(it) }
        val source = PlanarYUVLuminanceSource(
            data, plane.rowStride, image.height, 0, 0, image.width, image.height, false,
        )
        val text = try {
            reader.decodeWithState(BinaryBitmap(HybridBinarizer(source))).text
        } catch (_: NotFoundException) {
            return
        } finally {
            reader.reset()
        }
        found = true
        preview.post { onCode(text) }
    }

    /** Scan again after a result was shown. */
    fun resume() {
        found = false
    }

    fun stop() {
        camera?.close()
        camera = null
        images?.close()
        images = null
        thread.quitSafely()
    }

    private companion object {
        const val WIDTH = 1280
        const val HEIGHT = 720
    }
}
