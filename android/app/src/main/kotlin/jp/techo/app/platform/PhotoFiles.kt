package jp.techo.app.platform

import android.content.ContentProvider
import android.content.ContentValues
import android.content.Context
import android.database.Cursor
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.net.Uri
import android.os.ParcelFileDescriptor
import java.io.ByteArrayOutputStream
import java.io.File
import java.io.IOException

/**
 * Face photos from the picker or the camera. Big camera pictures are scaled down before they
 * reach the core (its limit is 2 MB); the core then removes whatever metadata is left.
 */
object PhotoFiles {
    private const val AUTHORITY = "jp.techo.app.photos"
    /** Longest side kept: plenty for staff to compare a face. */
    private const val MAX_SIDE = 1600
    /** What is read from a picked file before it is refused as too big to be a photo. */
    private const val MAX_READ = 32 * 1024 * 1024
    private const val KEEP_AS_IS = 1_500_000

    /** The system's photo picker (Android 13+), or any app that hands out an image. */
    fun pickIntent(): android.content.Intent =
        if (android.os.Build.VERSION.SDK_INT >= android.os.Build.VERSION_CODES.TIRAMISU) {
            android.content.Intent(android.provider.MediaStore.ACTION_PICK_IMAGES)
        } else {
            android.content.Intent(android.content.Intent.ACTION_GET_CONTENT)
                .setType("image/*")
                .addCategory(android.content.Intent.CATEGORY_OPENABLE)
        }

    /** Where the camera app writes (served to it by [CaptureProvider]). */
    fun captureFile(context: Context) = File(context.cacheDir, "capture.jpg")

    fun captureUri(context: Context): Uri = Uri.parse("content://$AUTHORITY/capture.jpg")

    /** The photo's bytes, scaled down when large; `null` when it cannot be read as an image. */
    fun read(context: Context, uri: Uri): ByteArray? {
        val raw = try {
            context.contentResolver.openInputStream(uri)?.use { input ->
                val out = ByteArrayOutputStream()
                val buf = ByteArray(64 * 1024)
                while (true) {
                    val n = input.read(buf)
                    if (n < 0) break
                    out.write(buf, 0, n)
                    if (out.size() > MAX_READ) return null
                }
                out.toByteArray()
            }
        } catch (_: IOException) {
            null
        } catch (_: SecurityException) {
            null
        } ?: return null
        val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
        BitmapFactory.decodeByteArray(raw, 0, raw.size, bounds)
        if (bounds.outWidth <= 0 || bounds.outHeight <= 0) return null
        if (raw.size <= KEEP_AS_IS && maxOf(bounds.outWidth, bounds.outHeight) <= MAX_SIDE) return raw
        var sample = 1
        while (maxOf(bounds.outWidth, bounds.outHeight) / (sample * 2) >= MAX_SIDE) sample *= 2
        val bitmap = BitmapFactory.decodeByteArray(raw, 0, raw.size, BitmapFactory.Options().apply { inSampleSize = sample })
            ?: return null
        val scale = minOf(1f, MAX_SIDE.toFloat() / maxOf(bitmap.width, bitmap.height))
        val scaled = if (scale < 1f) {
            Bitmap.createScaledBitmap(bitmap, (bitmap.width * scale).toInt(), (bitmap.height * scale).toInt(), true)
        } else {
            bitmap
        }
        return ByteArrayOutputStream().use { out ->
            scaled.compress(Bitmap.CompressFormat.JPEG, 88, out)
            out.toByteArray()
        }
    }
}

/**
 * Lends the camera app one file to write the photo into (no AndroidX FileProvider here). Only
 * `capture.jpg` in the app's cache, only to an app the intent granted it to.
 */
class CaptureProvider : ContentProvider() {
    override fun onCreate() = true

    override fun openFile(uri: Uri, mode: String): ParcelFileDescriptor {
        if (uri.lastPathSegment != "capture.jpg") throw SecurityException("only the capture file")
        val file = PhotoFiles.captureFile(requireNotNull(context))
        return ParcelFileDescriptor.open(file, ParcelFileDescriptor.parseMode(mode))
    }

    override fun getType(uri: Uri) = "image/jpeg"
    override fun query(uri: Uri, p: Array<out String>?, s: String?, a: Array<out String>?, o: String?): Cursor? = null
    override fun insert(uri: Uri, values: ContentValues?): Uri? = null
    override fun delete(uri: Uri, s: String?, a: Array<out String>?) = 0
    override fun update(uri: Uri, v: ContentValues?, s: String?, a: Array<out String>?) = 0
}
