#if canImport(Glibc)
import Glibc
#endif

// A closed output pipe (`leafwatch scan ... | head`) ends writes with EPIPE, not the process.
signal(SIGPIPE, SIG_IGN)
exit(LeafwatchCommand.run(Array(CommandLine.arguments.dropFirst())))
