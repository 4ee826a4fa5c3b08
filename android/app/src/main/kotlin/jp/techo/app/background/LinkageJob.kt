package jp.techo.app.background

import android.app.job.JobInfo
import android.app.job.JobParameters
import android.app.job.JobScheduler
import android.app.job.JobService
import android.content.ComponentName
import android.content.Context
import jp.techo.app.TechoApp

/**
 * The platform's periodic job: runs [KeepLinked] when the core said (the earliest retry or
 * renewal, at least daily), on any network, and survives a reboot. Each run schedules the next.
 */
class LinkageJob : JobService() {
    @Volatile private var worker: Thread? = null

    override fun onStartJob(params: JobParameters): Boolean {
        val app = application as TechoApp
        worker = Thread({
            KeepLinked(app).run()
            jobFinished(params, false)
        }, "techo-keep-linked").also { it.start() }
        return true
    }

    /** The system stopped the job (network lost): the run is retried with the system's back-off. */
    override fun onStopJob(params: JobParameters): Boolean {
        worker?.interrupt()
        return true
    }

    companion object {
        const val JOB_ID = 0x7ec0

        /** Schedules the next run at [atUnix] (seconds), replacing any earlier schedule. */
        fun schedule(context: Context, atUnix: Long) {
            val scheduler = context.getSystemService(JobScheduler::class.java) ?: return
            val delayMs = (atUnix * 1000 - System.currentTimeMillis()).coerceAtLeast(0)
            val job = JobInfo.Builder(JOB_ID, ComponentName(context, LinkageJob::class.java))
                .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
                .setMinimumLatency(delayMs)
                .setPersisted(true)
                .build()
            scheduler.schedule(job)
        }
    }
}
