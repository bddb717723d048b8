/// The Python fork server: one per interpreter and runtime client on a worker. It starts the
/// interpreter and imports the runtime client once (awslambdaric, or the bundled loop's
/// standard-library imports), never a function's code; each cold start is then a fork of it
/// instead of a new interpreter (docs/fork-server.md).
///
/// Protocol, on a unix stream socket, one connection per instance, from its `shoal rie`:
/// the RIE sends one JSON line `{"argv", "env", "cwd", "cgroup"?, "dataLimit"?}` with the
/// runtime's stdout and stderr as SCM_RIGHTS descriptors; the server answers `{"pid": N}`
/// (or `{"error": "..."}`, and the RIE spawns the runtime itself), and, when the runtime
/// ends, `{"exit": CODE}` or `{"signal": N}`. An RIE that hangs up takes its runtime with it.
enum PythonForkServer {
    static let fileName = "shoal_python_fork_server.py"

    static let source = #"""
        # Shoal's Python fork server (see docs/fork-server.md). Standard library only.
        import array, gc, importlib, io, json, os, selectors, signal, socket, sys, traceback

        def read_session_members(session):
            """Every process whose session is `session` (from /proc)."""
            members = []
            for name in os.listdir("/proc"):
                if not name.isdigit():
                    continue
                try:
                    with open("/proc/%s/stat" % name, "rb") as stat:
                        fields = stat.read().rsplit(b")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[3]) == session:
                    members.append(int(name))
            return members

        def kill_session(pid, leader):
            """The runtime ran in a session of its own: nothing of it outlives it. The leader
            only while it is an unreaped child: a reaped pid may already be someone else's."""
            for member in ([pid] if leader else []) + read_session_members(pid):
                try:
                    os.kill(member, signal.SIGKILL)
                except OSError:
                    pass

        class Server:
            def __init__(self, path, client):
                # Runtimes inherit this process's scheduling policy: the default one, whatever
                # the worker's loop that started this ran under (SCHED_BATCH when busy).
                try:
                    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
                except (AttributeError, OSError):
                    pass
                self.path = path
                self.client = client
                self.executables = {sys.executable, os.path.realpath(sys.executable)}
                # This script's directory is no function's path.
                self.base_path = sys.path[1:]
                self.bundled = None
                if client == "awslambdaric":
                    self.preload_awslambdaric()
                else:
                    with open(client) as loop:
                        self.bundled = compile(loop.read(), client, "exec")
                    import http.client, time  # noqa: F401 (what the bundled loop imports)
                self.parent = os.getppid()
                self.selector = selectors.DefaultSelector()
                self.connections = {}  # socket -> {"buffer", "fds", "pid"}
                self.runtimes = {}  # pid -> socket
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
                self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.listener.bind(path)
                self.listener.listen(512)
                self.listener.setblocking(False)
                self.wake_read, self.wake_write = os.pipe()
                os.set_blocking(self.wake_read, False)
                os.set_blocking(self.wake_write, False)
                signal.set_wakeup_fd(self.wake_write)
                signal.signal(signal.SIGCHLD, lambda number, frame: None)
                signal.signal(signal.SIGTERM, self.terminate)
                self.selector.register(self.listener, selectors.EVENT_READ, self.accept)
                self.selector.register(self.wake_read, selectors.EVENT_READ, self.reap)
                # What every child shares with this process stays shared: the collector
                # leaves these objects alone, so it does not copy their pages into children.
                gc.collect()
                gc.freeze()

            @staticmethod
            def preload_awslambdaric():
                """What awslambdaric imports, except what reads the environment when loaded:
                its native client fixes AWS_LAMBDA_RUNTIME_API when it loads, and bootstrap its
                log format and level, so those load in each child, from its own environment."""
                import importlib.util, pkgutil
                for name in ("concurrent.futures.thread", "http.client", "importlib", "json", "logging", "queue", "time", "traceback"):
                    importlib.import_module(name)
                # The shared libraries the native client links (not the client itself): loading
                # libstdc++ was most of the client's load time in each child.
                if importlib.util.find_spec("runtime_client") is not None:
                    import ctypes
                    for library in ("libstdc++.so.6", "libgcc_s.so.1"):
                        try:
                            ctypes.CDLL(library)
                        except OSError:
                            pass
                package = importlib.import_module("awslambdaric")
                for module in pkgutil.iter_modules(package.__path__):
                    if module.ispkg or module.name in ("__main__", "bootstrap", "lambda_runtime_client"):
                        continue
                    # Only plain modules that do not load the native client (another version
                    # may add others, or ship compiled ones: those load in the child).
                    try:
                        with open(os.path.join(package.__path__[0], module.name + ".py")) as source:
                            if "runtime_client" in source.read():
                                continue
                    except OSError:
                        continue
                    importlib.import_module("awslambdaric." + module.name)
                if "runtime_client" in sys.modules or "awslambdaric.bootstrap" in sys.modules:
                    raise SystemExit("awslambdaric's native client or bootstrap loaded in the fork server: not forking it")

            def terminate(self, number, frame):
                raise SystemExit(0)

            def serve(self):
                print("shoal python fork server %s client %s ready" % (self.path, self.client), flush=True)
                try:
                    while os.getppid() == self.parent:
                        for key, _ in self.selector.select(timeout=0.5):
                            key.data(key.fileobj)
                finally:
                    for pid in list(self.runtimes):
                        kill_session(pid, True)
                    try:
                        os.unlink(self.path)
                    except OSError:
                        pass

            def accept(self, listener):
                while True:
                    try:
                        connection, _ = listener.accept()
                    except BlockingIOError:
                        return
                    connection.setblocking(False)
                    self.connections[connection] = {"buffer": b"", "fds": [], "pid": None}
                    self.selector.register(connection, selectors.EVENT_READ, self.receive)

            def receive(self, connection):
                state = self.connections.get(connection)
                if state is None:  # closed earlier in this select round (its runtime was reaped)
                    return
                try:
                    data, ancillary, _, _ = connection.recvmsg(65536, socket.CMSG_SPACE(8 * array.array("i").itemsize))
                except BlockingIOError:
                    return
                except OSError:
                    data, ancillary = b"", []
                for level, kind, payload in ancillary:
                    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                        fds = array.array("i")
                        fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
                        state["fds"].extend(fds)
                if not data:  # the RIE hung up: its runtime goes with it
                    self.close(connection)
                    if state["pid"] is not None:
                        kill_session(state["pid"], True)
                    return
                if state["pid"] is not None:
                    return
                state["buffer"] += data
                if b"\n" in state["buffer"]:
                    line = state["buffer"].split(b"\n", 1)[0]
                    self.start(connection, state, line)

            def start(self, connection, state, line):
                fds, state["fds"] = state["fds"], []
                try:
                    request = json.loads(line)
                    argv = request["argv"]
                    if argv[0] not in self.executables or self.mode(argv) is None or len(fds) != 2:
                        raise ValueError("this fork server runs %s with %s, not %r" % (sys.executable, self.client, argv))
                except (ValueError, KeyError, TypeError, IndexError) as error:
                    return self.refuse(connection, fds, str(error))
                sys.stdout.flush()
                sys.stderr.flush()
                try:
                    pid = os.fork()
                except OSError as error:  # out of processes or memory
                    return self.refuse(connection, fds, str(error))
                if pid == 0:
                    self.child(request, fds)
                for fd in fds:
                    os.close(fd)
                state["pid"] = pid
                self.runtimes[pid] = connection
                self.send(connection, {"pid": pid})

            def refuse(self, connection, fds, reason):
                """No runtime from this server: the emulator spawns it instead."""
                for fd in fds:
                    os.close(fd)
                self.send(connection, {"error": reason})
                self.close(connection)

            def mode(self, argv):
                if self.client == "awslambdaric" and argv[1:3] == ["-m", "awslambdaric"] and len(argv) == 4:
                    return "awslambdaric"
                if self.bundled is not None and argv[1:] == ["-u", self.client]:
                    return "bundled"
                return None

            def reap(self, wake):
                try:
                    while os.read(self.wake_read, 512):
                        pass
                except BlockingIOError:
                    pass
                while True:
                    try:
                        pid, status = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        return
                    if pid == 0:
                        return
                    kill_session(pid, False)
                    connection = self.runtimes.pop(pid, None)
                    if connection is None or connection not in self.connections:
                        continue
                    if os.WIFSIGNALED(status):
                        self.send(connection, {"signal": os.WTERMSIG(status)})
                    else:
                        self.send(connection, {"exit": os.waitstatus_to_exitcode(status)})
                    self.close(connection)

            def send(self, connection, message):
                try:
                    connection.sendall(json.dumps(message).encode() + b"\n")
                except OSError:
                    pass

            def close(self, connection):
                state = self.connections.pop(connection, None)
                if state:
                    for fd in state["fds"]:
                        os.close(fd)
                    if state["pid"] is not None:
                        self.runtimes.pop(state["pid"], None)
                self.selector.unregister(connection)
                connection.close()

            # The child: becomes the instance's runtime, as a fresh process would start.

            def child(self, request, fds):
                code = 1
                try:
                    code = self.become_runtime(request, fds)
                except SystemExit as exit:
                    code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
                    if not isinstance(exit.code, (int, type(None))):
                        print(exit.code, file=sys.stderr)
                except BaseException:
                    traceback.print_exc()
                finally:
                    for stream in (sys.stdout, sys.stderr):
                        try:
                            stream.flush()
                        except Exception:
                            pass
                    os._exit(code)

            def become_runtime(self, request, fds):
                signal.set_wakeup_fd(-1)
                for number in (signal.SIGCHLD, signal.SIGTERM):
                    signal.signal(number, signal.SIG_DFL)
                self.listener.close()
                for connection in list(self.connections):
                    connection.close()
                os.close(self.wake_read)
                os.close(self.wake_write)
                self.selector.close()
                # A session and process group of its own, and the instance's memory limit,
                # before any of the function's code runs.
                os.setsid()
                if request.get("cgroup"):
                    with open(os.path.join(request["cgroup"], "cgroup.procs"), "w") as procs:
                        procs.write(str(os.getpid()))
                elif request.get("dataLimit"):
                    import resource
                    resource.setrlimit(resource.RLIMIT_DATA, (request["dataLimit"], request["dataLimit"]))
                os.dup2(fds[0], 1)
                os.dup2(fds[1], 2)
                for fd in fds:
                    if fd > 2:
                        os.close(fd)
                os.chdir(request["cwd"])
                environment = request["env"]
                os.environ.clear()
                os.environ.update(environment)
                argv = request["argv"]
                mode = self.mode(argv)
                # The path a fresh interpreter would have: its first entry, PYTHONPATH, then
                # the standard library and site-packages.
                first = os.getcwd() if mode == "awslambdaric" else os.path.dirname(self.client)
                extra = [entry for entry in environment.get("PYTHONPATH", "").split(os.pathsep) if entry]
                sys.path[:] = [first] + extra + self.base_path
                unbuffered = mode == "bundled" or bool(environment.get("PYTHONUNBUFFERED"))
                sys.stdout = sys.__stdout__ = self.stream(1, unbuffered, "strict")
                sys.stderr = sys.__stderr__ = self.stream(2, unbuffered, "backslashreplace")
                if mode == "awslambdaric":
                    import awslambdaric.__main__
                    sys.argv = [awslambdaric.__main__.__file__, argv[3]]
                    awslambdaric.__main__.main(sys.argv)
                else:
                    sys.argv = [self.client]
                    exec(self.bundled, {"__name__": "__main__", "__file__": self.client, "__builtins__": __builtins__})
                return 0

            @staticmethod
            def stream(fd, unbuffered, errors):
                raw = io.FileIO(fd, "w", closefd=False)
                binary = raw if unbuffered else io.BufferedWriter(raw)
                return io.TextIOWrapper(binary, encoding="utf-8", errors=errors, line_buffering=fd == 2, write_through=unbuffered)

        if __name__ == "__main__":
            Server(sys.argv[1], sys.argv[2]).serve()
        """#
}
