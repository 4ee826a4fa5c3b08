package jp.techo.app.platform

import android.annotation.SuppressLint
import android.app.Activity
import android.content.Context
import android.graphics.ImageFormat
import android.graphics.Matrix
import android.graphics.SurfaceTexture
import android.hardware.camera2.CameraCaptureSession
import android.hardware.camera2.CameraCharacteristics
import android.hardware.camera2.CameraDevice
import android.hardware.camera2.CameraManager
import android.hardware.camera2.CaptureRequest
import android.media.ImageReader
import android.os.Handler
import android.os.HandlerThread
import android.view.Surface
import android.view.TextureView

/**
 * The back camera with camera2: a preview on [preview], upright and not stretched, and every
 * frame's luminance to [onFrame]. Works from Android 8 (the session is made the pre-Android-9
 * way, which all versions accept).
 */
class Camera2QrCamera(
    private val activity: Activity,
    private val preview: TextureView,
    private val onFrame: (QrCamera.Frame) -> Unit,
) : QrCamera {
    private var thread: HandlerThread? = null
    private var handler: Handler? = null
    private var camera: CameraDevice? = null
    private var images: ImageReader? = null

    @SuppressLint("MissingPermission") // StaffActivity asks for CAMERA before it starts this
    override fun start() {
        if (camera != null) return
        val manager = activity.getSystemService(Context.CAMERA_SERVICE) as CameraManager
        val id = manager.cameraIdList.firstOrNull {
            manager.getCameraCharacteristics(it).get(CameraCharacteristics.LENS_FACING) ==
                CameraCharacteristics.LENS_FACING_BACK
        } ?: return
        val sensor = manager.getCameraCharacteristics(id).get(CameraCharacteristics.SENSOR_ORIENTATION) ?: 90
        val t = HandlerThread("qr-camera").apply { start() }
        val h = Handler(t.looper)
        thread = t
        handler = h
        val reader = ImageReader.newInstance(WIDTH, HEIGHT, ImageFormat.YUV_420_888, 2)
        reader.setOnImageAvailableListener({ r ->
            r.acquireLatestImage()?.use { image ->
                val plane = image.planes[0]
                val data = ByteArray(plane.buffer.remaining()).also { plane.buffer.get(it) }
                onFrame(QrCamera.Frame(data, image.width, image.height, plane.rowStride))
            }
        }, h)
        images = reader
        fitPreview(sensor)
        manager.openCamera(id, object : CameraDevice.StateCallback() {
            override fun onOpened(device: CameraDevice) {
                camera = device
                startSession(device, reader, h)
            }

            override fun onDisconnected(device: CameraDevice) = device.close()

            override fun onError(device: CameraDevice, error: Int) = device.close()
        }, h)
    }

    @Suppress("DEPRECATION") // the session call every Android version from 8 accepts
    private fun startSession(device: CameraDevice, reader: ImageReader, h: Handler) {
        val texture: SurfaceTexture = preview.surfaceTexture ?: return
        texture.setDefaultBufferSize(WIDTH, HEIGHT)
        val previewSurface = Surface(texture)
        val request = device.createCaptureRequest(CameraDevice.TEMPLATE_PREVIEW).apply {
            addTarget(previewSurface)
            addTarget(reader.surface)
            set(CaptureRequest.CONTROL_AF_MODE, CaptureRequest.CONTROL_AF_MODE_CONTINUOUS_PICTURE)
        }
        device.createCaptureSession(
            listOf(previewSurface, reader.surface),
            object : CameraCaptureSession.StateCallback() {
                override fun onConfigured(session: CameraCaptureSession) {
                    session.setRepeatingRequest(request.build(), null, h)
                }

                override fun onConfigureFailed(session: CameraCaptureSession) = session.close()
            },
            h,
        )
    }

    /**
     * The screen is portrait (staff mode is locked to it) and the sensor landscape: the system
     * turns the buffer upright, and the view would stretch it to its own shape. Scale one axis
     * so the picture keeps its proportions and fills the view (centre crop).
     */
    private fun fitPreview(sensorDegrees: Int) {
        val w = preview.width.toFloat()
        val h = preview.height.toFloat()
        if (w == 0f || h == 0f) return
        val buffer = if (sensorDegrees % 180 == 90) HEIGHT.toFloat() / WIDTH else WIDTH.toFloat() / HEIGHT
        val view = w / h
        val m = Matrix()
        if (view > buffer) m.setScale(1f, view / buffer, w / 2, h / 2) else m.setScale(buffer / view, 1f, w / 2, h / 2)
        preview.setTransform(m)
    }

    override fun stop() {
        camera?.close()
        camera = null
        images?.close()
        images = null
        thread?.quitSafely()
        thread = null
        handler = null
    }

    private companion object {
        const val WIDTH = 1280
        const val HEIGHT = 720
    }
}
