import Dispatch
import LeafwatchCore
import LeafwatchSystem

/// `leafwatch run`: loads the configuration, starts the daemon on its queue
/// and waits until a signal stops it.
struct RunCommand {
    var options: RunOptions

    func run() -> Int32 {
        let loaded: LoadedConfiguration
        do {
            loaded = try ConfigurationLoader.load(path: options.configPath)
        } catch {
            for problem in error.errors { printError("\(problem)") }
            printError("invalid configuration; leafwatch did not start")
            return ExitStatus.configError
        }

        let log = EventLog(target: EventLog.resolve(options.logTarget),
                           maxMessageLength: loaded.configuration.alerts.maxMessageLength)

        let daemon = Daemon(configPath: options.configPath, loaded: loaded, log: log)
        let finished = DispatchSemaphore(value: 0)
        let exitStatus = ExitStatusBox()
        let startFailure = daemon.queue.sync {
            daemon.start { status in
                exitStatus.value = status
                finished.signal()
            }
        }
        if let startFailure { return startFailure }
        finished.wait()
        return exitStatus.value
    }
}

/// Carries the exit status from the daemon's queue to the main thread; the
/// semaphore orders the write before the read.
private final class ExitStatusBox: @unchecked Sendable {
    var value: Int32 = 0
}
