package jp.techo.app.ui

import android.Manifest
import android.app.Activity
import android.content.pm.PackageManager
import android.graphics.SurfaceTexture
import android.os.Bundle
import android.view.TextureView
import android.widget.LinearLayout
import jp.techo.app.TechoApp
import jp.techo.app.platform.QrScanner
import jp.techo.app.presenter.StaffPresenter
import jp.techo.app.presenter.StaffResult
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.TechoException

/**
 * Staff mode: scan a holder's QR code with the camera and show the verdict in large type. The
 * issuer's lists are fetched when the mode opens (online), then every check is offline.
 */
class StaffActivity : Activity() {
    private val scope = MainScope()
    private val app get() = application as TechoApp
    private var presenter: StaffPresenter? = null
    private var scanner: QrScanner? = null
    private lateinit var results: LinearLayout

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val column = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL }
        val preview = TextureView(this)
        column.addView(preview, LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, 0, 1f))
        results = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL }
        column.addView(results)
        setContentView(column)
        scanner = QrScanner(this, preview) { text -> onScanned(text) }
        preview.surfaceTextureListener = object : TextureView.SurfaceTextureListener {
            override fun onSurfaceTextureAvailable(surface: SurfaceTexture, width: Int, height: Int) = startCamera()
            override fun onSurfaceTextureSizeChanged(surface: SurfaceTexture, width: Int, height: Int) {}
            override fun onSurfaceTextureDestroyed(surface: SurfaceTexture) = true
            override fun onSurfaceTextureUpdated(surface: SurfaceTexture) {}
        }
        scope.launch {
            presenter = try {
                val verifier = withContext(Dispatchers.IO) {
                    app.service.fetchVerifier(app.service.rootKey())
                }
                StaffPresenter(verifier, app.lang)
            } catch (e: TechoException) {
                show(listOf(pick(app.lang, "失効情報を取得できません", "Cannot fetch the revocation lists"), e.message ?: ""))
                null
            }
        }
    }

    private fun startCamera() {
        if (checkSelfPermission(Manifest.permission.CAMERA) != PackageManager.PERMISSION_GRANTED) {
            requestPermissions(arrayOf(Manifest.permission.CAMERA), CAMERA_REQUEST)
            return
        }
        scanner?.start()
    }

    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        if (requestCode == CAMERA_REQUEST && grantResults.firstOrNull() == PackageManager.PERMISSION_GRANTED) {
            scanner?.start()
        }
    }

    private fun onScanned(text: String) {
        val p = presenter ?: return
        val result = p.onScanned(text, System.currentTimeMillis() / 1000)
        show(result.lines, valid = result is StaffResult.Valid)
    }

    private fun show(lines: List<String>, valid: Boolean = false) {
        results.removeAllViews()
        lines.forEachIndexed { i, line -> results.text(line, if (i == 0) 34f else 24f, bold = i == 0) }
        results.button(pick(app.lang, "次を読み取る", "Scan the next code")) {
            results.removeAllViews()
            scanner?.resume()
        }
        results.setBackgroundColor(if (valid) 0xFFEEF8F0.toInt() else 0xFFFDECEE.toInt())
    }

    override fun onDestroy() {
        scanner?.stop()
        scope.cancel()
        super.onDestroy()
    }

    private companion object {
        const val CAMERA_REQUEST = 1
    }
}
