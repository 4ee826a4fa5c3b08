// Android Studio build of the Techo shell. CI does not run it (no Android Gradle Plugin where CI
// runs); pom.xml compile-checks the same sources against the framework and runs the presenter
// tests on the JVM.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "techo-android"
include(":app")
