package jp.techo.app.ui

import android.content.Context
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.DashPathEffect
import android.graphics.Paint
import android.graphics.Path
import android.graphics.drawable.Drawable
import android.graphics.PixelFormat
import android.view.View
import android.widget.FrameLayout
import uniffi.techo_ffi.Presentation
import uniffi.techo_ffi.Shape

/** A QR code drawn from the core's module matrix, with its quiet zone, as a square. */
class QrView(context: Context) : View(context) {
    var code: Presentation? = null
        set(value) {
            field = value
            invalidate()
        }
    private val paint = Paint()

    override fun onMeasure(widthMeasureSpec: Int, heightMeasureSpec: Int) {
        val w = MeasureSpec.getSize(widthMeasureSpec)
        // As wide as the screen allows, never more than 80 % of the screen's shorter side:
        // its size never depends on the text size, so a scanner always has enough modules.
        val side = minOf(w, (minOf(resources.displayMetrics.widthPixels, resources.displayMetrics.heightPixels) * 0.8).toInt())
        setMeasuredDimension(side, side)
    }

    override fun onDraw(canvas: Canvas) {
        val p = code ?: return
        val n = p.qrWidth.toInt()
        if (n == 0) return
        val quiet = 4
        // Whole pixels per module: fractional ones leave hairlines between modules that
        // scanners read as light modules.
        val cell = maxOf(1, width / (n + 2 * quiet))
        val origin = (width - cell * n) / 2
        canvas.drawColor(Color.WHITE)
        paint.color = Color.BLACK
        for (r in 0 until n) {
            for (c in 0 until n) {
                if (!p.qrModules[r * n + c]) continue
                val x = (origin + c * cell).toFloat()
                val y = (origin + r * cell).toFloat()
                canvas.drawRect(x, y, x + cell, y + cell, paint)
            }
        }
    }
}

/** The kind's shape (circle, diamond, square), so colour is never the only cue. */
class ShapeView(context: Context) : View(context) {
    var shape: Shape = Shape.CIRCLE
    var colour: Int = Color.BLUE
    private val paint = Paint(Paint.ANTI_ALIAS_FLAG)

    override fun onDraw(canvas: Canvas) {
        paint.color = colour
        val s = minOf(width, height).toFloat()
        when (shape) {
            Shape.CIRCLE -> canvas.drawCircle(s / 2, s / 2, s / 2, paint)
            Shape.SQUARE -> canvas.drawRect(s * 0.1f, s * 0.1f, s * 0.9f, s * 0.9f, paint)
            Shape.DIAMOND -> canvas.drawPath(
                Path().apply { moveTo(s / 2, 0f); lineTo(s, s / 2); lineTo(s / 2, s); lineTo(0f, s / 2); close() },
                paint,
            )
        }
    }
}

/**
 * The character that walks along the top while the handbook is linked: a still picture is a
 * screenshot. [frame] comes from the core (`null`: it stands still and is not drawn).
 */
class CharacterView(context: Context) : View(context) {
    var frame: Int? = null
        set(value) {
            if (field != value) {
                field = value
                invalidate()
            }
        }
    var colour: Int = Color.BLUE
    private val paint = Paint(Paint.ANTI_ALIAS_FLAG)

    override fun onDraw(canvas: Canvas) {
        val f = frame ?: return
        paint.color = colour
        val r = height / 2.5f
        val x = r + (width - 2 * r) * (f % 8) / 7f
        val bob = if (f % 2 == 0) 0f else r * 0.2f
        canvas.drawCircle(x, height / 2f - bob, r, paint)
        paint.color = Color.WHITE
        canvas.drawCircle(x + r * 0.35f, height / 2f - bob - r * 0.2f, r * 0.18f, paint)
    }
}

/** A frame whose border glows with the core's phase (flat with reduced motion). */
class GlowFrame(context: Context) : FrameLayout(context) {
    var colour: Int = Color.BLUE
    var phase: Double = 0.0
        set(value) {
            if (field != value) {
                field = value
                invalidate()
            }
        }
    private val paint = Paint().apply { style = Paint.Style.STROKE }

    init {
        setWillNotDraw(false)
    }

    override fun dispatchDraw(canvas: Canvas) {
        super.dispatchDraw(canvas)
        val stroke = dp(8).toFloat()
        paint.strokeWidth = stroke
        paint.color = colour
        paint.alpha = (96 + 159 * phase).toInt().coerceIn(0, 255)
        canvas.drawRect(stroke / 2, stroke / 2, width - stroke / 2, height - stroke / 2, paint)
    }
}

/** The self-declared band's background: its colour and a dashed outline, as the core asks. */
class DashedBox(private val fill: Int, private val outline: Int, private val stroke: Float) : Drawable() {
    private val paint = Paint(Paint.ANTI_ALIAS_FLAG)

    override fun draw(canvas: Canvas) {
        paint.style = Paint.Style.FILL
        paint.color = fill
        paint.pathEffect = null
        canvas.drawRect(bounds, paint)
        paint.style = Paint.Style.STROKE
        paint.color = outline
        paint.strokeWidth = stroke
        paint.pathEffect = DashPathEffect(floatArrayOf(stroke * 3, stroke * 2), 0f)
        canvas.drawRect(
            bounds.left + stroke / 2, bounds.top + stroke / 2, bounds.right - stroke / 2, bounds.bottom - stroke / 2, paint,
        )
    }

    override fun setAlpha(alpha: Int) {}
    override fun setColorFilter(colorFilter: android.graphics.ColorFilter?) {}
    @Deprecated("framework API") override fun getOpacity() = PixelFormat.TRANSLUCENT
}

fun colour(hex: String, fallback: Int): Int = try {
    Color.parseColor(hex)
} catch (_: IllegalArgumentException) {
    fallback
}
