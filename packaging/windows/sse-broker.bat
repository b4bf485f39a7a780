@echo off
rem Starts sse-broker on Windows: sse-broker.bat [arguments], e.g. sse-broker.bat -c config.toml
rem JAVA_OPTS adds JVM options; JAVA_HOME picks the Java runtime (17 or newer), else java on the PATH.
setlocal
set "HERE=%~dp0"
set "JAR=%HERE%..\lib\sse-broker.jar"
if defined SSE_BROKER_JAR set "JAR=%SSE_BROKER_JAR%"
set "JAVA=java"
if defined JAVA_HOME set "JAVA=%JAVA_HOME%\bin\java"
"%JAVA%" -XX:+ExitOnOutOfMemoryError -XX:MaxRAMPercentage=75 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20 -XX:G1PeriodicGCInterval=30000 -XX:MaxTenuringThreshold=1 %JAVA_OPTS% -jar "%JAR%" %*
