LDLIBS += -lncursesw
