#ifndef EDGELEDGER_CMOSQUITTO_SHIM_H
#define EDGELEDGER_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#include <mqtt_protocol.h>
#endif
