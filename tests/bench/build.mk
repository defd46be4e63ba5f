# tests/bench/: benchmark helpers (not installed): spawn-stats times whole
# programs; kvm-floor is the least a monitor can do to run guest code.
BENCH_DEPS += $(BIN)/spawn-stats $(BIN)/kvm-floor

$(BIN)/spawn-stats: $(OBJ)/tests/bench/spawn_stats.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

$(BIN)/kvm-floor: $(OBJ)/tests/bench/kvm_floor.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

BENCH_DEPS += $(BIN)/host-read
$(BIN)/host-read: $(OBJ)/tests/bench/host_read.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

# The process floor of tests/bench/spt.sh: a static hello (no dynamic loader).
BENCH_DEPS += $(BIN)/static-hello
$(BIN)/static-hello: $(OBJ)/tests/bench/static_hello.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -static -o $@ $^

# tests/bench/net.sh: the plumbing, the plain-process baseline and the netecho guest.
BENCH_DEPS += $(BIN)/net-plumb $(BIN)/tap-responder $(BUILD)/guests/netecho.spt $(BUILD)/guests/netecho.hvt
