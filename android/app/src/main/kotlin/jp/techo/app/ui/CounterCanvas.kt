package jp.techo.app.ui

import android.content.Context
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.graphics.RectF
import android.util.TypedValue
import android.view.View
import jp.techo.app.presenter.CounterFrame
import uniffi.techo_ffi.Emphasis
import uniffi.techo_ffi.Shape

/**
 * The counter screen, drawn from the core's view model only: colours, sizes, the glow phase,
 * the character's frame and the QR modules all come from [frame]. Nothing here decides.
 */
class CounterCanvas(context: Context) : View(context) {
    var frame: CounterFrame? = null
        set(value) {
            field = value
            contentDescription = value?.view?.items?.joinToString("。") { it.spoken }
            invalidate()
        }
    var modules: List<BooleanArray> = emptyList()

    private val paint = Paint(Paint.ANTI_ALIAS_FLAG)
    /** Points from the view model, in pixels, following the system font size. */
    private fun sp(pt: Double): Float =
        TypedValue.applyDimension(TypedValue.COMPLEX_UNIT_SP, pt.toFloat(), resources.displayMetrics)

    private fun colour(hex: String, fallback: Int) = try {
        Color.parseColor(hex)
    } catch (_: IllegalArgumentException) {
        fallback
    }

    override fun onDraw(canvas: Canvas) {
        val f = frame ?: return
        val v = f.view
        val bg = colour(v.background, Color.WHITE)
        val fg = colour(v.textColour, Color.BLACK)
        val accent = colour(v.accent, Color.BLUE)
        canvas.drawColor(bg)

        // The glow: a border whose strength follows the core's phase (flat with reduced motion).
        paint.style = Paint.Style.STROKE
        paint.strokeWidth = 24f
        paint.color = accent
        paint.alpha = (96 + 159 * v.glowPhase).toInt().coerceIn(0, 255)
        canvas.drawRect(12f, 12f, width - 12f, height - 12f, paint)
        paint.style = Paint.Style.FILL
        paint.alpha = 255

        var y = 96f
        paint.color = fg
        paint.textSize = sp(v.clockPt)
        canvas.drawText(v.clock, 48f, y, paint)
        y += paint.textSize + 24f

        // The kind's shape (circle, diamond, square) so colour is never the only cue.
        paint.color = accent
        val s = 56f
        when (v.shape) {
            Shape.CIRCLE -> canvas.drawCircle(48f + s / 2, y, s / 2, paint)
            Shape.SQUARE -> canvas.drawRect(48f, y - s / 2, 48f + s, y + s / 2, paint)
            Shape.DIAMOND -> {
                canvas.save()
                canvas.rotate(45f, 48f + s / 2, y)
                canvas.drawRect(48f + 8, y - s / 2 + 8, 48f + s - 8, y + s / 2 - 8, paint)
                canvas.restore()
            }
        }
        v.characterFrame?.let { frameNo ->
            // The character walks along the top only while linked (the core sends no frame otherwise).
            val x = width - 160f + 24f * ((frameNo.toInt() % 4) - 2)
            canvas.drawCircle(x, 72f, 28f, paint)
        }
        y += s

        for ((i, item) in v.items.withIndex()) {
            paint.color = when (item.emphasis) {
                Emphasis.ALERT -> Color.rgb(0xB0, 0x00, 0x20)
                Emphasis.CAUTION -> Color.rgb(0xA6, 0x6A, 0x00)
                Emphasis.NORMAL -> fg
            }
            paint.textSize = sp(if (i == 0) v.kindPt else v.itemPt)
            canvas.drawText("${item.label}  ${item.value}", 48f, y, paint)
            y += paint.textSize * 1.3f
        }
        v.guardianBand?.let { band ->
            paint.color = Color.rgb(0x5B, 0x2C, 0x83)
            canvas.drawRect(0f, y, width.toFloat(), y + 72f, paint)
            paint.color = Color.WHITE
            paint.textSize = sp(22.0)
            canvas.drawText(band, 48f, y + 52f, paint)
            y += 96f
        }
        v.support?.let { band ->
            paint.color = colour(band.background, Color.LTGRAY)
            val h = 48f + 40f * band.lines.size
            canvas.drawRect(24f, y, width - 24f, y + h, paint)
            paint.color = fg
            paint.textSize = sp(18.0)
            canvas.drawText("${band.heading}（${band.tag}）", 48f, y + 40f, paint)
            band.lines.forEachIndexed { i, line -> canvas.drawText(line.text, 48f, y + 80f + 40f * i, paint) }
            y += h + 24f
        }
        drawQr(canvas, y)
    }

    private fun drawQr(canvas: Canvas, top: Float) {
        if (modules.isEmpty()) {
            frame?.qrProblem?.let {
                paint.color = Color.rgb(0xB0, 0x00, 0x20)
                paint.textSize = sp(18.0)
                canvas.drawText(it, 48f, top + 48f, paint)
            }
            return
        }
        val quiet = 4
        val n = modules.size + 2 * quiet
        val side = minOf(width - 96f, height - top - 48f).coerceAtLeast(0f)
        val cell = side / n
        val left = (width - side) / 2
        paint.color = Color.WHITE
        canvas.drawRect(RectF(left, top, left + side, top + side), paint)
        paint.color = Color.BLACK
        for ((r, row) in modules.withIndex()) {
            for ((c, dark) in row.withIndex()) {
                if (!dark) continue
                val x = left + (c + quiet) * cell
                val yy = top + (r + quiet) * cell
                canvas.drawRect(x, yy, x + cell, yy + cell, paint)
            }
        }
    }
}
